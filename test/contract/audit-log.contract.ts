import { beforeEach, describe, expect, it } from 'vitest';

import type { AuditLog } from '../../src/domain/audit/audit-log.port.js';
import { anAuditEvent, OCCURRED_AT } from '../mothers/audit-event.mother.js';
import { TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';

/** An empty audit log where tenants A and B exist, fresh for each test. */
export type MakeAuditLog = () => Promise<AuditLog>;

const eventId = (n: number): string => `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const later = (ms: number): Date => new Date(OCCURRED_AT.getTime() + ms);

/** The AuditLog port, run unchanged against every adapter. */
export function auditLogContract(name: string, makeAuditLog: MakeAuditLog): void {
  describe(`AuditLog contract: ${name}`, () => {
    let log: AuditLog;
    beforeEach(async () => {
      log = await makeAuditLog();
    });

    it('stores events and reads them back exactly', async () => {
      const event = anAuditEvent();
      await log.append([event]);
      expect(await log.list(TENANT_A_ID, 10)).toEqual([event]);
    });

    it('keeps optional parts optional: anonymous actor, no target, empty details', async () => {
      const event = anAuditEvent({
        actor: { kind: 'anonymous' },
        target: undefined,
        action: 'auth.login.failed',
        outcome: 'failure',
        details: {},
      });
      await log.append([event]);
      const [stored] = await log.list(TENANT_A_ID, 10);
      expect(stored).toEqual(event);
      expect(stored?.target).toBeUndefined();
      expect(stored?.actor.subjectId).toBeUndefined();
    });

    it('keeps JSON details of every scalar kind', async () => {
      const details = { text: 'x', count: 3, flag: false, none: null };
      await log.append([anAuditEvent({ details })]);
      expect((await log.list(TENANT_A_ID, 10))[0]?.details).toEqual(details);
    });

    it('lists oldest first (time, then id), at most `limit`', async () => {
      await log.append([
        anAuditEvent({ id: eventId(3), occurredAt: later(2) }),
        anAuditEvent({ id: eventId(2), occurredAt: later(1) }),
      ]);
      await log.append([anAuditEvent({ id: eventId(1), occurredAt: later(1) })]);
      const ids = (await log.list(TENANT_A_ID, 10)).map((event) => event.id);
      expect(ids).toEqual([eventId(1), eventId(2), eventId(3)]);
      expect((await log.list(TENANT_A_ID, 2)).map((event) => event.id)).toEqual([
        eventId(1),
        eventId(2),
      ]);
    });

    it('writes a batch spanning tenants, each event in its own tenant', async () => {
      await log.append([
        anAuditEvent({ id: eventId(1) }),
        anAuditEvent({ id: eventId(2), tenantId: TENANT_B_ID }),
      ]);
      expect((await log.list(TENANT_A_ID, 10)).map((event) => event.id)).toEqual([eventId(1)]);
      expect((await log.list(TENANT_B_ID, 10)).map((event) => event.id)).toEqual([eventId(2)]);
    });

    it("never shows a tenant another tenant's events, even with the same id", async () => {
      await log.append([anAuditEvent({ tenantId: TENANT_B_ID, details: { secret: 'b' } })]);
      expect(await log.list(TENANT_A_ID, 10)).toEqual([]);
      await log.append([anAuditEvent()]);
      const own = await log.list(TENANT_A_ID, 10);
      expect(own).toHaveLength(1);
      expect(own[0]?.details).toEqual({ email: 'ada@example.com' });
    });

    it('refuses an id already used in the tenant, and stores nothing of that batch', async () => {
      await log.append([anAuditEvent()]);
      await expect(
        log.append([anAuditEvent({ id: eventId(9) }), anAuditEvent({ outcome: 'failure' })]),
      ).rejects.toMatchObject({ code: '23505' });
      const stored = await log.list(TENANT_A_ID, 10);
      expect(stored).toEqual([anAuditEvent()]);
    });

    it('appending nothing is a no-op', async () => {
      await log.append([]);
      expect(await log.list(TENANT_A_ID, 10)).toEqual([]);
    });
  });
}
