import type { Knex } from 'knex';

import type {
  AuditActor,
  AuditDetailValue,
  AuditEvent,
  AuditOutcome,
} from '../../../domain/audit/audit-event.js';
import type { AuditLog } from '../../../domain/audit/audit-log.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { ambientTransaction, setTenant } from './pg-request-transactions.js';
import { SCHEMA } from './pg-schema.js';

const TABLE = `${SCHEMA}.audit_events`;

interface AuditRow {
  tenant_id: string;
  id: string;
  occurred_at: Date;
  actor_kind: AuditActor['kind'];
  actor_subject_id: string | null;
  actor_ip: string | null;
  actor_request_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: AuditOutcome;
  details: Record<string, AuditDetailValue>;
}

const toRow = (event: AuditEvent): AuditRow => ({
  tenant_id: event.tenantId,
  id: event.id,
  occurred_at: event.occurredAt,
  actor_kind: event.actor.kind,
  actor_subject_id: event.actor.subjectId ?? null,
  actor_ip: event.actor.ip ?? null,
  actor_request_id: event.actor.requestId ?? null,
  action: event.action,
  target_type: event.target?.type ?? null,
  target_id: event.target?.id ?? null,
  outcome: event.outcome,
  details: { ...event.details },
});

const toEvent = (row: AuditRow): AuditEvent => ({
  tenantId: row.tenant_id,
  id: row.id,
  occurredAt: row.occurred_at,
  actor: {
    kind: row.actor_kind,
    ...(row.actor_subject_id === null ? {} : { subjectId: row.actor_subject_id }),
    ...(row.actor_ip === null ? {} : { ip: row.actor_ip }),
    ...(row.actor_request_id === null ? {} : { requestId: row.actor_request_id }),
  },
  action: row.action,
  ...(row.target_type === null || row.target_id === null
    ? {}
    : { target: { type: row.target_type, id: row.target_id } }),
  outcome: row.outcome,
  details: row.details,
});

const byTenant = (events: readonly AuditEvent[]): Map<string, AuditEvent[]> => {
  const groups = new Map<string, AuditEvent[]>();
  for (const event of events) {
    if (!isUuid(event.tenantId)) throw new Error('audit event: the tenant id must be a UUID');
    const tenantId = event.tenantId.toLowerCase();
    groups.set(tenantId, [...(groups.get(tenantId) ?? []), event]);
  }
  return groups;
};

/**
 * The audit log in `core.audit_events`, through row-level security: each event is written with
 * its own tenant set. Inside a request transaction the events join it (a savepoint, like
 * PgUnitOfWork), so they commit or roll back with the request's effects; otherwise one short
 * transaction writes them all.
 */
export class PgAuditLog implements AuditLog {
  constructor(private readonly db: Knex) {}

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const groups = byTenant(events);
    const ambient = ambientTransaction.getStore();
    if (ambient !== undefined) {
      await ambient.exclusive(() =>
        ambient.trx.transaction(async (savepoint) => {
          await this.insertAll(savepoint, groups);
          await setTenant(savepoint, ambient.tenantId);
        }),
      );
      return;
    }
    await this.db.transaction((trx) => this.insertAll(trx, groups));
  }

  async list(tenantId: string, limit: number): Promise<readonly AuditEvent[]> {
    if (!isUuid(tenantId)) throw new Error('audit log: the tenant id must be a UUID');
    const rows = await this.db.transaction(async (trx) => {
      await setTenant(trx, tenantId);
      // inet reads back as text: host addresses without a mask, as they were written.
      return trx<AuditRow>(TABLE)
        .select('*')
        .orderBy([
          { column: 'occurred_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ])
        .limit(limit);
    });
    return rows.map(toEvent);
  }

  private async insertAll(
    trx: Knex.Transaction,
    groups: ReadonlyMap<string, readonly AuditEvent[]>,
  ): Promise<void> {
    for (const [tenantId, events] of groups) {
      await setTenant(trx, tenantId);
      await trx<AuditRow>(TABLE).insert(events.map(toRow));
    }
  }
}
