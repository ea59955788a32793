import { beforeEach, describe, expect, it } from 'vitest';

import type { RecoveryUnitOfWork } from '../../src/domain/identity/recovery-unit-of-work.port.js';
import type { UserToken } from '../../src/domain/identity/user-token.js';
import type { OutboxQueue } from '../../src/domain/notification/notifier.port.js';
import { TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { USER_ID } from '../mothers/user.mother.js';

/** Tenants A and B exist; A has user `USER_ID`, B has user `USER_B_ID`; no tokens, no mail. */
export interface RecoveryStore {
  readonly uow: RecoveryUnitOfWork;
  readonly queue: OutboxQueue;
}

export const USER_B_ID = '0c000000-0000-4000-8000-0000000000bb';
const CREATED = new Date('2025-03-04T05:06:07.089Z');
const tokenId = (n: number): string => `0d000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const hashOf = (n: number): Uint8Array => new Uint8Array(32).fill(n);

const aToken = (overrides: Partial<UserToken> = {}): UserToken => ({
  tenantId: TENANT_A_ID,
  id: tokenId(1),
  userId: USER_ID,
  purpose: 'password_reset',
  tokenHash: hashOf(1),
  expiresAt: new Date('2025-03-04T05:36:07.089Z'),
  usedAt: undefined,
  createdAt: CREATED,
  ...overrides,
});

const mail = { kind: 'password_reset', recipient: 'a@a.test', subject: 'S', bodyText: 'B' };

/** Tokens and the outbox (RecoveryUnitOfWork + OutboxQueue), run unchanged on every adapter. */
export function recoveryStoreContract(name: string, make: () => Promise<RecoveryStore>): void {
  describe(`Recovery store contract: ${name}`, () => {
    let store: RecoveryStore;
    beforeEach(async () => {
      store = await make();
    });

    it('stores a token and finds it by hash and purpose only', async () => {
      const token = aToken();
      await store.uow.inTenant(TENANT_A_ID, (scope) => scope.tokens.insert(token));
      const found = await store.uow.inTenant(TENANT_A_ID, (scope) =>
        scope.tokens.findByHash(hashOf(1), 'password_reset'),
      );
      expect(found).toEqual(token);
      const otherPurpose = await store.uow.inTenant(TENANT_A_ID, (scope) =>
        scope.tokens.findByHash(hashOf(1), 'email_verification'),
      );
      expect(otherPurpose).toBeUndefined();
    });

    it('marks a token used once', async () => {
      await store.uow.inTenant(TENANT_A_ID, (scope) => scope.tokens.insert(aToken()));
      const at = new Date('2025-03-04T05:10:00.000Z');
      expect(await store.uow.inTenant(TENANT_A_ID, (s) => s.tokens.markUsed(tokenId(1), at))).toBe(
        true,
      );
      expect(await store.uow.inTenant(TENANT_A_ID, (s) => s.tokens.markUsed(tokenId(1), at))).toBe(
        false,
      );
      const found = await store.uow.inTenant(TENANT_A_ID, (s) =>
        s.tokens.findByHash(hashOf(1), 'password_reset'),
      );
      expect(found?.usedAt).toEqual(at);
    });

    it("supersedes the user's unused tokens of one purpose", async () => {
      await store.uow.inTenant(TENANT_A_ID, async (scope) => {
        await scope.tokens.insert(aToken());
        await scope.tokens.insert(
          aToken({ id: tokenId(2), tokenHash: hashOf(2), purpose: 'email_verification' }),
        );
      });
      const at = new Date('2025-03-04T05:10:00.000Z');
      await store.uow.inTenant(TENANT_A_ID, (s) =>
        s.tokens.supersede(USER_ID, 'password_reset', at),
      );
      const [reset, verification] = await store.uow.inTenant(TENANT_A_ID, (s) =>
        Promise.all([
          s.tokens.findByHash(hashOf(1), 'password_reset'),
          s.tokens.findByHash(hashOf(2), 'email_verification'),
        ]),
      );
      expect(reset?.usedAt).toEqual(at);
      expect(verification?.usedAt).toBeUndefined();
    });

    it("never shows or uses another tenant's token", async () => {
      await store.uow.inTenant(TENANT_A_ID, (scope) => scope.tokens.insert(aToken()));
      const fromB = await store.uow.inTenant(TENANT_B_ID, (scope) =>
        scope.tokens.findByHash(hashOf(1), 'password_reset'),
      );
      expect(fromB).toBeUndefined();
      expect(
        await store.uow.inTenant(TENANT_B_ID, (s) => s.tokens.markUsed(tokenId(1), CREATED)),
      ).toBe(false);
      // The same hash in another tenant is another token.
      await store.uow.inTenant(TENANT_B_ID, (scope) =>
        scope.tokens.insert(aToken({ tenantId: TENANT_B_ID, userId: USER_B_ID })),
      );
      await expect(
        store.uow.inTenant(TENANT_B_ID, (scope) => scope.tokens.insert(aToken())),
      ).rejects.toThrow();
    });

    it('drops tokens and mail when the work fails', async () => {
      await expect(
        store.uow.inTenant(TENANT_A_ID, async (scope) => {
          await scope.tokens.insert(aToken());
          await scope.notifier.notify(mail);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(
        await store.uow.inTenant(TENANT_A_ID, (s) =>
          s.tokens.findByHash(hashOf(1), 'password_reset'),
        ),
      ).toBeUndefined();
      expect(await store.queue.claim(10, 60_000)).toEqual([]);
    });

    it("claims every tenant's due mail once per lease, then marks it sent or failed", async () => {
      await store.uow.inTenant(TENANT_A_ID, (scope) => scope.notifier.notify(mail));
      await store.uow.inTenant(TENANT_B_ID, (scope) =>
        scope.notifier.notify({ ...mail, recipient: 'b@b.test' }),
      );
      const claimed = await store.queue.claim(10, 60_000);
      expect(claimed.map((m) => [m.tenantId, m.recipient, m.attempts]).sort()).toEqual([
        [TENANT_A_ID, 'a@a.test', 1],
        [TENANT_B_ID, 'b@b.test', 1],
      ]);
      expect(claimed[0]).toMatchObject({ kind: 'password_reset', subject: 'S', bodyText: 'B' });
      expect(await store.queue.claim(10, 60_000)).toEqual([]);

      const [first, second] = claimed;
      await store.queue.markSent(first!);
      await store.queue.markFailed(second!, 'smtp said no', 0);
      const again = await store.queue.claim(10, 60_000);
      expect(again.map((m) => [m.id, m.attempts])).toEqual([[second!.id, 2]]);
    });
  });
}
