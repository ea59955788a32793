import type { Knex } from 'knex';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import type { AuditLog } from '../../src/domain/audit/audit-log.port.js';

/** An audit log that cannot write: the database is reachable, the append is refused. */
export const auditThatRefuses: AuditLog = {
  append: () => Promise.reject(new Error('audit log unavailable')),
} as unknown as AuditLog;

/**
 * The real log, failing where it really writes: it queues events and writes them right before
 * the commit, so everything else of the transaction has been written by then.
 */
export const auditFailingAtCommit = (knex: Knex): PgAuditLog =>
  new PgAuditLog(knex, () => {
    throw new Error('chain hash failed');
  });

/** How many events of `action` a tenant's log holds (the suites' "was it recorded?"). */
export async function eventsOf(log: AuditLog, tenantId: string, action: string): Promise<number> {
  const events = await log.list(tenantId, 1_000);
  return events.filter((event) => event.action === action).length;
}
