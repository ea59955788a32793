import type { AuditEvent } from '../../../domain/audit/audit-event.js';
import type { AuditLog } from '../../../domain/audit/audit-log.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { rowKey, uniqueViolation } from './memory-database.js';

const order = (a: AuditEvent, b: AuditEvent): number =>
  a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The memory twin of `PgAuditLog`: append-only, a tenant reads only its own events, a batch is
 * stored all or nothing, and an id already used in the tenant is refused.
 */
export class InMemoryAuditLog implements AuditLog {
  private readonly events = new Map<string, AuditEvent>();

  append(events: readonly AuditEvent[]): Promise<void> {
    const batch = new Map<string, AuditEvent>();
    for (const event of events) {
      if (!isUuid(event.tenantId)) {
        return Promise.reject(new Error('audit event: the tenant id must be a UUID'));
      }
      const key = rowKey(event.tenantId, event.id);
      if (this.events.has(key) || batch.has(key)) {
        return Promise.reject(uniqueViolation('audit_events_pkey'));
      }
      // Stored as a copy: a caller changing its object later cannot rewrite history.
      batch.set(key, structuredClone({ ...event, tenantId: event.tenantId.toLowerCase() }));
    }
    for (const [key, event] of batch) this.events.set(key, event);
    return Promise.resolve();
  }

  list(tenantId: string, limit: number): Promise<readonly AuditEvent[]> {
    if (!isUuid(tenantId)) {
      return Promise.reject(new Error('audit log: the tenant id must be a UUID'));
    }
    const tenant = tenantId.toLowerCase();
    const own = [...this.events.values()].filter((event) => event.tenantId === tenant);
    return Promise.resolve(
      own
        .sort(order)
        .slice(0, limit)
        .map((event) => structuredClone(event)),
    );
  }
}
