import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/domain/identity/session-store.port.js';
import {
  aRefreshToken,
  aSession,
  hashOf,
  REFRESH_TOKEN_ID,
  SESSION_ID,
} from '../mothers/session.mother.js';
import { CREATED_AT, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { USER_ID } from '../mothers/user.mother.js';

/** A user of tenant B the setup must create too (sessions reference users). */
export const USER_B_ID = '0c000000-0000-4000-8000-0000000000bb';

const NOW = new Date(CREATED_AT.getTime() + 60_000);
const idN = (n: number): string => `05000000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const tokenN = (n: number): string => `06000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * The SessionStore contract (sessions and refresh tokens), for every adapter. `setup` gives an
 * empty store where tenants A and B exist, with user USER_ID in A and USER_B_ID in B.
 */
export function sessionStoreContract(name: string, setup: () => Promise<SessionStore>): void {
  describe(`SessionStore contract: ${name}`, () => {
    const seeded = async (): Promise<SessionStore> => {
      const store = await setup();
      await store.inTenant(TENANT_A_ID, async (s) => {
        await s.insertSession(aSession());
        await s.insertRefreshToken(aRefreshToken());
      });
      return store;
    };

    it('stores a session and its refresh token, found by id and by hash', async () => {
      const store = await seeded();
      await store.inTenant(TENANT_A_ID, async (s) => {
        expect(await s.findSession(SESSION_ID)).toEqual(aSession());
        expect(await s.lockSession(SESSION_ID)).toEqual(aSession());
        expect(await s.findRefreshTokenByHash(hashOf('first'))).toEqual(aRefreshToken());
        expect(await s.findRefreshToken(REFRESH_TOKEN_ID)).toEqual(aRefreshToken());
        expect(await s.findRefreshTokenByHash(hashOf('other'))).toBeUndefined();
        expect(await s.findSession('not-a-uuid')).toBeUndefined();
      });
    });

    it('claims a refresh token once', async () => {
      const store = await seeded();
      const successor = tokenN(2);
      const first = await store.inTenant(TENANT_A_ID, (s) =>
        s.claimRefreshToken(REFRESH_TOKEN_ID, NOW, successor),
      );
      expect(first).toEqual(aRefreshToken({ usedAt: NOW, replacedBy: successor }));
      const second = await store.inTenant(TENANT_A_ID, (s) =>
        s.claimRefreshToken(REFRESH_TOKEN_ID, NOW, tokenN(3)),
      );
      expect(second).toBeUndefined();
      await store.inTenant(TENANT_A_ID, async (s) => {
        expect((await s.findRefreshToken(REFRESH_TOKEN_ID))?.replacedBy).toBe(successor);
      });
    });

    it('refuses a second token with the same hash in a tenant, and a token of an unknown session', async () => {
      const store = await seeded();
      await expect(
        store.inTenant(TENANT_A_ID, (s) => s.insertRefreshToken(aRefreshToken({ id: tokenN(9) }))),
      ).rejects.toThrow();
      await expect(
        store.inTenant(TENANT_A_ID, (s) =>
          s.insertRefreshToken(
            aRefreshToken({ id: tokenN(8), tokenHash: hashOf('x'), sessionId: idN(99) }),
          ),
        ),
      ).rejects.toThrow();
    });

    it('touches, revokes once, and revokes all of a user but one', async () => {
      const store = await seeded();
      const later = new Date(NOW.getTime() + 1000);
      await store.inTenant(TENANT_A_ID, async (s) => {
        await s.insertSession(aSession({ id: idN(2) }));
        await s.insertSession(aSession({ id: idN(3) }));
        await s.touchSession(SESSION_ID, NOW, later);
      });
      await store.inTenant(TENANT_A_ID, async (s) => {
        const touched = await s.findSession(SESSION_ID);
        expect(touched?.lastUsedAt).toEqual(NOW);
        expect(touched?.idleExpiresAt).toEqual(later);
        expect(await s.revokeSession(idN(2), NOW, 'logout')).toBe(true);
        expect(await s.revokeSession(idN(2), NOW, 'logout')).toBe(false);
        expect((await s.findSession(idN(2)))?.revokedReason).toBe('logout');
      });
      const ended = await store.inTenant(TENANT_A_ID, (s) =>
        s.revokeSessionsOfUser(USER_ID, NOW, 'user_disabled', idN(3)),
      );
      expect(ended).toEqual([SESSION_ID]);
      await store.inTenant(TENANT_A_ID, async (s) => {
        expect((await s.findSession(idN(3)))?.revokedAt).toBeUndefined();
      });
    });

    it('lists live sessions of a user by id, page by page', async () => {
      const store = await setup();
      await store.inTenant(TENANT_A_ID, async (s) => {
        for (let n = 1; n <= 5; n++) await s.insertSession(aSession({ id: idN(n) }));
        await s.insertSession(aSession({ id: idN(6), revokedAt: NOW, revokedReason: 'logout' }));
        await s.insertSession(aSession({ id: idN(7), idleExpiresAt: NOW }));
      });
      const first = await store.inTenant(TENANT_A_ID, (s) =>
        s.listLiveSessionsOfUser(USER_ID, NOW, { limit: 2, after: undefined }),
      );
      expect(first.map((x) => x.id)).toEqual([idN(1), idN(2), idN(3)]);
      const last = await store.inTenant(TENANT_A_ID, (s) =>
        s.listLiveSessionsOfUser(USER_ID, NOW, { limit: 2, after: idN(4) }),
      );
      expect(last.map((x) => x.id)).toEqual([idN(5)]);
    });

    it('rolls back when the work throws', async () => {
      const store = await seeded();
      await expect(
        store.inTenant(TENANT_A_ID, async (s) => {
          await s.revokeSession(SESSION_ID, NOW, 'logout');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await store.inTenant(TENANT_A_ID, async (s) => {
        expect((await s.findSession(SESSION_ID))?.revokedAt).toBeUndefined();
      });
    });

    it('confines each tenant to its own sessions and refresh tokens', async () => {
      const store = await seeded();
      await store.inTenant(TENANT_B_ID, async (s) => {
        expect(await s.findSession(SESSION_ID)).toBeUndefined();
        expect(await s.lockSession(SESSION_ID)).toBeUndefined();
        expect(await s.findRefreshTokenByHash(hashOf('first'))).toBeUndefined();
        expect(await s.findRefreshToken(REFRESH_TOKEN_ID)).toBeUndefined();
        expect(await s.claimRefreshToken(REFRESH_TOKEN_ID, NOW, tokenN(5))).toBeUndefined();
        expect(await s.revokeSession(SESSION_ID, NOW, 'revoked')).toBe(false);
        expect(await s.revokeSessionsOfUser(USER_ID, NOW, 'revoked')).toEqual([]);
        expect(
          await s.listLiveSessionsOfUser(USER_ID, NOW, { limit: 10, after: undefined }),
        ).toEqual([]);
        // The same ids and the same hash are free in another tenant.
        await s.insertSession(aSession({ tenantId: TENANT_B_ID, userId: USER_B_ID }));
        await s.insertRefreshToken(aRefreshToken({ tenantId: TENANT_B_ID }));
      });
      await expect(
        store.inTenant(TENANT_B_ID, (s) => s.insertSession(aSession({ id: idN(40) }))),
      ).rejects.toThrow();
      await store.inTenant(TENANT_A_ID, async (s) => {
        expect((await s.findSession(SESSION_ID))?.revokedAt).toBeUndefined();
        expect((await s.findRefreshToken(REFRESH_TOKEN_ID))?.usedAt).toBeUndefined();
      });
    });
  });
}
