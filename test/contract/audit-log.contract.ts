import { beforeEach, describe, expect, it } from 'vitest';

import { AuditChainVerifier } from '../../src/application/audit/verify-audit-chain.js';
import { sha256Hex } from '../../src/adapters/outbound/shared/sha256.js';
import { chainHash, GENESIS_HASH } from '../../src/domain/audit/audit-chain.js';
import type { AuditLog } from '../../src/domain/audit/audit-log.port.js';
import { anAuditEvent, OCCURRED_AT } from '../mothers/audit-event.mother.js';
import { TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';

/** An empty audit log where tenants A and B exist, fresh for each test. */
export type MakeAuditLog = () => Promise<AuditLog>;

const eventId = (n: number): string => `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const later = (ms: number): Date => new Date(OCCURRED_AT.getTime() + ms);
const actorIn = (tenantId: string) =>
  ({ tenantId, principal: { tenantId, subjectId: 'x', kind: 'user' } }) as never;

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

    it('numbers each tenant’s events 1, 2, 3... in append order and chains their hashes', async () => {
      await log.append([anAuditEvent({ id: eventId(1) }), anAuditEvent({ id: eventId(2) })]);
      await log.append([anAuditEvent({ id: eventId(3), tenantId: TENANT_B_ID })]);
      await log.append([anAuditEvent({ id: eventId(4), occurredAt: later(-5000) })]);
      const a = await log.chainSlice(TENANT_A_ID, 0, 100, 100);
      expect(a.map((event) => [event.id, event.sequence])).toEqual([
        [eventId(1), 1],
        [eventId(2), 2],
        [eventId(4), 3],
      ]);
      expect(a[0]?.prevHash).toBe(GENESIS_HASH);
      for (const [index, event] of a.entries()) {
        const prev = index === 0 ? GENESIS_HASH : a[index - 1]?.hash;
        expect(event.prevHash).toBe(prev);
        expect(event.hash).toBe(chainHash(sha256Hex, event.prevHash, event, event.sequence));
      }
      expect((await log.chainState(TENANT_A_ID)).head).toEqual({
        sequence: 3,
        hash: a[2]?.hash,
      });
      const b = await log.chainSlice(TENANT_B_ID, 0, 100, 100);
      expect(b.map((event) => event.sequence)).toEqual([1]);
      expect(await new AuditChainVerifier(log, sha256Hex, 2).run(actorIn(TENANT_A_ID))).toEqual({
        ok: true,
        checked: 3,
        firstBadSequence: undefined,
        problem: '',
      });
    });

    it('an empty chain is at genesis and verifies', async () => {
      const state = await log.chainState(TENANT_A_ID);
      expect(state).toEqual({
        anchor: { sequence: 0, hash: GENESIS_HASH },
        head: { sequence: 0, hash: GENESIS_HASH },
      });
      expect(await new AuditChainVerifier(log, sha256Hex).run(actorIn(TENANT_A_ID))).toMatchObject({
        ok: true,
        checked: 0,
      });
    });

    it('50 concurrent appends in one tenant get sequences 1..50 and one unbroken chain', async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, n) =>
          log.append([anAuditEvent({ id: eventId(n + 1), details: { n } })]),
        ),
      );
      const chain = await log.chainSlice(TENANT_A_ID, 0, 1000, 1000);
      expect(chain.map((event) => event.sequence)).toEqual(
        Array.from({ length: 50 }, (_, n) => n + 1),
      );
      expect(new Set(chain.map((event) => event.id)).size).toBe(50);
      const report = await new AuditChainVerifier(log, sha256Hex, 7).run(actorIn(TENANT_A_ID));
      expect(report).toMatchObject({ ok: true, checked: 50 });
    });

    it('a refused batch takes no sequence: the chain stays gapless', async () => {
      await log.append([anAuditEvent()]);
      await expect(
        log.append([anAuditEvent({ id: eventId(9) }), anAuditEvent()]),
      ).rejects.toMatchObject({ code: '23505' });
      await log.append([anAuditEvent({ id: eventId(10) })]);
      const chain = await log.chainSlice(TENANT_A_ID, 0, 100, 100);
      expect(chain.map((event) => [event.id, event.sequence])).toEqual([
        [anAuditEvent().id, 1],
        [eventId(10), 2],
      ]);
      expect(await new AuditChainVerifier(log, sha256Hex).run(actorIn(TENANT_A_ID))).toMatchObject({
        ok: true,
        checked: 2,
      });
    });

    it('searches newest first with filters and a sequence cursor', async () => {
      await log.append([
        anAuditEvent({ id: eventId(1), action: 'auth.login.failed', outcome: 'failure' }),
        anAuditEvent({
          id: eventId(2),
          action: 'authz.check.denied',
          outcome: 'denied',
          occurredAt: later(1000),
        }),
        anAuditEvent({
          id: eventId(3),
          action: 'auth.login.succeeded',
          actor: { kind: 'user', subjectId: 'someone-else' },
          occurredAt: later(2000),
        }),
        anAuditEvent({ id: eventId(4), action: 'auth%_x', occurredAt: later(3000) }),
      ]);
      await log.append([anAuditEvent({ id: eventId(5), tenantId: TENANT_B_ID })]);
      const ids = async (query: Parameters<AuditLog['search']>[1]): Promise<string[]> =>
        (await log.search(TENANT_A_ID, query)).map((event) => event.id);
      expect(await ids({ limit: 10 })).toEqual([eventId(4), eventId(3), eventId(2), eventId(1)]);
      expect(await ids({ limit: 2, beforeSequence: 3 })).toEqual([eventId(2), eventId(1)]);
      expect(await ids({ limit: 10, actionPrefix: 'auth.' })).toEqual([eventId(3), eventId(1)]);
      expect(await ids({ limit: 10, actionPrefix: 'auth%' })).toEqual([eventId(4)]);
      expect(await ids({ limit: 10, outcome: 'denied' })).toEqual([eventId(2)]);
      expect(await ids({ limit: 10, actorSubjectId: 'someone-else' })).toEqual([eventId(3)]);
      expect(await ids({ limit: 10, since: later(1000), until: later(3000) })).toEqual([
        eventId(3),
        eventId(2),
      ]);
      const [newest] = await log.search(TENANT_A_ID, { limit: 1 });
      expect(newest).toMatchObject({ id: eventId(4), sequence: 4, tenantId: TENANT_A_ID });
    });

    it('appending nothing is a no-op', async () => {
      await log.append([]);
      expect(await log.list(TENANT_A_ID, 10)).toEqual([]);
    });
  });
}
