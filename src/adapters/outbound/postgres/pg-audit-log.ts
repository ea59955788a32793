import type { Knex } from 'knex';

import {
  type AuditChainState,
  type ChainedAuditEvent,
  type ChainLink,
  GENESIS_LINK,
  linkEvents,
  type Sha256,
} from '../../../domain/audit/audit-chain.js';
import type {
  AuditActor,
  AuditDetailValue,
  AuditEvent,
  AuditOutcome,
} from '../../../domain/audit/audit-event.js';
import type { AuditEventQuery, AuditLog } from '../../../domain/audit/audit-log.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { sha256Hex } from '../shared/sha256.js';
import {
  currentRequestTransaction,
  type AmbientTransaction,
  joinRequestTransaction,
} from './pg-request-transactions.js';
import { SCHEMA } from './pg-schema.js';
import { setTenant, tenantTransaction } from './tenant-transactions.js';

const TABLE = `${SCHEMA}.audit_events`;
const HEADS = `${SCHEMA}.audit_chain_heads`;

/** A row of `core.audit_events` as node-postgres reads it (bigint as text, bytea as Buffer). */
export interface AuditRow {
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
  sequence: string;
  prev_hash: Buffer;
  hash: Buffer;
}

type NewAuditRow = Omit<AuditRow, 'sequence'> & { sequence: number };

const toRow = (event: ChainedAuditEvent): NewAuditRow => ({
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
  sequence: event.sequence,
  prev_hash: Buffer.from(event.prevHash, 'hex'),
  hash: Buffer.from(event.hash, 'hex'),
});

/** The event a row stores (without its place in the chain). */
export const eventOfRow = (row: AuditRow): AuditEvent => ({
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

/** The event a row stores, with its place in the chain. */
export const chainedEventOfRow = (row: AuditRow): ChainedAuditEvent => ({
  ...eventOfRow(row),
  sequence: Number(row.sequence),
  prevHash: row.prev_hash.toString('hex'),
  hash: row.hash.toString('hex'),
});

const byTenant = (events: readonly AuditEvent[]): Map<string, AuditEvent[]> => {
  const groups = new Map<string, AuditEvent[]>();
  for (const event of events) {
    if (!isUuid(event.tenantId)) throw new Error('audit event: the tenant id must be a UUID');
    const tenantId = event.tenantId.toLowerCase();
    groups.set(tenantId, [...(groups.get(tenantId) ?? []), { ...event, tenantId }]);
  }
  return groups;
};

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

interface HeadRow {
  last_sequence: string;
  last_hash: Buffer;
  anchor_sequence: string;
  anchor_hash: Buffer;
}

const link = (sequence: string, hash: Buffer): ChainLink => ({
  sequence: Number(sequence),
  hash: hash.toString('hex'),
});

/**
 * The audit log in `core.audit_events`, through row-level security: each event is written with
 * its own tenant set. Inside a request transaction the events join it (like PgUnitOfWork), so
 * they commit or roll back with the request's effects; otherwise one short transaction writes
 * them all.
 *
 * The chain: each tenant has one row in `core.audit_chain_heads` (its last sequence and hash).
 * An append locks it (`lock_audit_chain_head`, which creates it on the first append), links its
 * events after it and inserts them; the database's chain guard trigger checks every row
 * continues the head and moves it (the app role cannot write heads), all in the appending
 * transaction: concurrent appends in a
 * tenant, from any replica, queue on that one row lock and can never fork the chain (a unique
 * `(tenant_id, sequence)` backs it up). Other tenants never wait. The lock is held until the
 * transaction commits, so hot paths append through the buffered recorder, not per request.
 */
export class PgAuditLog implements AuditLog {
  /** Events appended inside each open request transaction, written at its commit. */
  private readonly pendingIn = new WeakMap<AmbientTransaction, AuditEvent[]>();

  constructor(
    private readonly db: Knex,
    private readonly sha256: Sha256 = sha256Hex,
  ) {}

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const ambient = currentRequestTransaction();
    // A failed or denied attempt is a fact whatever becomes of the request (a wrong password
    // under an idempotency key must not roll its own trace back): written on its own.
    const effects = ambient === undefined ? [] : events.filter((e) => e.outcome === 'success');
    const attempts = ambient === undefined ? events : events.filter((e) => e.outcome !== 'success');
    if (ambient !== undefined && effects.length > 0) {
      // Written with the request's other events right before its commit: the tenants' chain
      // heads are then locked once, in one order, for the commit only (no lock held while the
      // request still works, no two requests locking two tenants' heads in opposite orders).
      let pending = this.pendingIn.get(ambient);
      if (pending === undefined) {
        const collected: AuditEvent[] = [];
        pending = collected;
        this.pendingIn.set(ambient, collected);
        ambient.atCommit.push(async () => {
          await joinRequestTransaction(ambient, ambient.tenantId, async (trx) => {
            // The request's tenant is set: events of that tenant alone need no switch there
            // and back (two round trips of most audited changes).
            const left = await this.insertAll(trx, byTenant(collected), ambient.tenantId);
            if (left !== ambient.tenantId) await setTenant(trx, ambient.tenantId);
          });
        });
      }
      pending.push(...effects);
    }
    if (attempts.length === 0) return;
    if (ambient !== undefined) {
      // Once the request's transaction has ended (committed or not), on a connection of their
      // own: the request never waits for a second connection while holding its first.
      ambient.afterEnd.push(() =>
        this.db.transaction(async (trx) => {
          await this.insertAll(trx, byTenant(attempts));
        }),
      );
      return;
    }
    const groups = byTenant(attempts);
    await this.db.transaction((trx) => this.insertAll(trx, groups));
  }

  async list(tenantId: string, limit: number): Promise<readonly AuditEvent[]> {
    const rows = await this.read(tenantId, (trx) =>
      trx<AuditRow>(TABLE)
        .select('*')
        .orderBy([
          { column: 'occurred_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ])
        .limit(limit),
    );
    return rows.map(eventOfRow);
  }

  async search(tenantId: string, query: AuditEventQuery): Promise<readonly ChainedAuditEvent[]> {
    const rows = await this.read(tenantId, (trx) => {
      const select = trx<AuditRow>(TABLE)
        .select('*')
        .orderBy('sequence', 'desc')
        .limit(query.limit);
      // Only the verifiable chain: after the anchor, up to the head (no head: no events).
      select.whereExists(function (this: Knex.QueryBuilder) {
        void this.select(trx.raw('1'))
          .from(HEADS)
          .where('tenant_id', tenantId.toLowerCase())
          .andWhereRaw(`${TABLE}.sequence > ${HEADS}.anchor_sequence`)
          .andWhereRaw(`${TABLE}.sequence <= ${HEADS}.last_sequence`);
      });
      if (query.beforeSequence !== undefined) select.where('sequence', '<', query.beforeSequence);
      if (query.actorSubjectId !== undefined) {
        select.where('actor_subject_id', query.actorSubjectId);
      }
      if (query.actionPrefix !== undefined && query.actionPrefix !== '') {
        select.whereRaw(`action like ? escape '\\'`, [`${escapeLike(query.actionPrefix)}%`]);
      }
      if (query.outcome !== undefined) select.where('outcome', query.outcome);
      if (query.since !== undefined) select.where('occurred_at', '>=', query.since);
      if (query.until !== undefined) select.where('occurred_at', '<', query.until);
      return select;
    });
    return rows.map(chainedEventOfRow);
  }

  async chainState(tenantId: string): Promise<AuditChainState> {
    const rows = await this.read(tenantId, (trx) => trx<HeadRow>(HEADS).select('*'));
    const head = rows[0];
    if (head === undefined) return { anchor: GENESIS_LINK, head: GENESIS_LINK };
    return {
      anchor: link(head.anchor_sequence, head.anchor_hash),
      head: link(head.last_sequence, head.last_hash),
    };
  }

  async chainSlice(
    tenantId: string,
    afterSequence: number,
    upToSequence: number,
    limit: number,
  ): Promise<readonly ChainedAuditEvent[]> {
    const rows = await this.read(tenantId, (trx) =>
      trx<AuditRow>(TABLE)
        .select('*')
        .where('sequence', '>', afterSequence)
        .andWhere('sequence', '<=', upToSequence)
        .orderBy('sequence', 'asc')
        .limit(limit),
    );
    return rows.map(chainedEventOfRow);
  }

  private read<T>(tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('audit log: the tenant id must be a UUID');
    return tenantTransaction(this.db, tenantId.toLowerCase(), work);
  }

  /**
   * Appends each tenant's events under its own tenant setting, starting from `tenantSet` (the
   * setting the transaction has now, if known); returns the tenant it leaves set.
   */
  private async insertAll(
    trx: Knex.Transaction,
    groups: ReadonlyMap<string, readonly AuditEvent[]>,
    tenantSet?: string,
  ): Promise<string | undefined> {
    // Heads locked in one global order: two batches spanning the same tenants cannot deadlock.
    const ordered = [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let current = tenantSet;
    for (const [tenantId, events] of ordered) {
      if (tenantId !== current) await setTenant(trx, tenantId);
      current = tenantId;
      const head = await this.lockHead(trx, tenantId, events);
      const linked = linkEvents(this.sha256, head.link, head.events);
      // The `audit_events_chain_guard` trigger checks each row continues the head and moves
      // the head itself (migration 011): the app role cannot write a head.
      await trx(TABLE).insert(linked.map(toRow));
    }
    return current;
  }

  /**
   * Locks the tenant's chain head (creating it on the first append; through the SECURITY
   * DEFINER `lock_audit_chain_head`, the app role has no write on heads) and returns it, with the
   * events' ips as Postgres will read them back (`inet` prints its own canonical form, and the
   * hash must cover what is stored; JSON, because `inet::text` would add a `/32`), in one
   * round trip.
   */
  private async lockHead(
    trx: Knex.Transaction,
    tenantId: string,
    events: readonly AuditEvent[],
  ): Promise<{ link: ChainLink; events: AuditEvent[] }> {
    const ips = events.map((event) => event.actor.ip ?? null);
    const result = await trx.raw<{
      rows: { last_sequence: string; last_hash: Buffer; ips: (string | null)[] }[];
    }>(
      `select h.last_sequence, h.last_hash,
         array_to_json(array(select ip::inet from jsonb_array_elements_text(?::jsonb)
                 with ordinality as given(ip, position) order by position)) as ips
       from ${SCHEMA}.lock_audit_chain_head(?) as h`,
      [JSON.stringify(ips), tenantId],
    );
    const row = result.rows[0];
    if (row === undefined) throw new Error('audit log: the chain head did not lock');
    return {
      link: link(row.last_sequence, row.last_hash),
      events: events.map((event, index) => {
        const ip = row.ips[index] ?? undefined;
        return ip === event.actor.ip ? event : { ...event, actor: { ...event.actor, ip } };
      }),
    };
  }
}
