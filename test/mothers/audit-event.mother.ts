import type { AuditEvent } from '../../src/domain/audit/audit-event.js';
import { TENANT_A_ID } from './tenant.mother.js';

export const OCCURRED_AT = new Date('2025-02-03T04:05:06.789Z');

/** A valid audit event in tenant A (a successful login); override what the test is about. */
export function anAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    tenantId: TENANT_A_ID,
    id: '0e000000-0000-4000-8000-000000000001',
    occurredAt: OCCURRED_AT,
    actor: {
      kind: 'user',
      subjectId: '0c000000-0000-4000-8000-000000000001',
      ip: '203.0.113.7',
      requestId: 'req-1',
    },
    action: 'auth.login.succeeded',
    target: { type: 'user', id: '0c000000-0000-4000-8000-000000000001' },
    outcome: 'success',
    details: { email: 'ada@example.com' },
    ...overrides,
  };
}
