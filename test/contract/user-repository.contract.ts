import { beforeEach, describe, expect, it } from 'vitest';

import { encodeUserCursor, type User } from '../../src/domain/identity/user.js';
import type { Page } from '../../src/domain/shared/page.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import type { UnitOfWork } from '../../src/domain/shared/unit-of-work.port.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../mothers/user.mother.js';
import type { MakeUnitOfWork } from './tenant-repository.contract.js';

const OTHER_USER_ID = '0c000000-0000-4000-8000-0000000000c2';

/** Five users of tenant A: two pairs share a creation instant, so the id breaks the tie. */
function fiveUsers(): User[] {
  const at = (ms: number): Date => new Date(Date.UTC(2025, 0, 1) + ms);
  return [
    aUser({ id: '0c000000-0000-4000-8000-0000000000d5', email: 'e@x.io', createdAt: at(0) }),
    aUser({ id: '0c000000-0000-4000-8000-0000000000d2', email: 'b@x.io', createdAt: at(5) }),
    aUser({ id: '0c000000-0000-4000-8000-0000000000d1', email: 'a@x.io', createdAt: at(5) }),
    aUser({ id: '0c000000-0000-4000-8000-0000000000d9', email: 'c@x.io', createdAt: at(7) }),
    aUser({ id: '0c000000-0000-4000-8000-0000000000d3', email: 'd@x.io', createdAt: at(7) }),
  ].map((user) => ({ ...user, emailNormalized: user.email }));
}

/** The UserRepository port, run unchanged against every adapter. */
export function userRepositoryContract(name: string, makeUnitOfWork: MakeUnitOfWork): void {
  describe(`UserRepository contract: ${name}`, () => {
    let uow: UnitOfWork;
    beforeEach(async () => {
      uow = await makeUnitOfWork();
      await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
        await tenants.insert(aTenant());
        await tenants.insert(anotherTenant());
      });
    });

    it('stores a user and finds it by id and by normalised email', async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      await uow.inTenant(TENANT_A_ID, async ({ users }) => {
        expect(await users.findById(USER_ID)).toEqual(aUser());
        expect(await users.findByEmail('ada.lovelace@example.com')).toEqual(aUser());
        expect(await users.findByEmail('Ada.Lovelace@Example.com')).toBeUndefined();
        expect(await users.findById(OTHER_USER_ID)).toBeUndefined();
      });
    });

    it('refuses a second user with the same normalised email in a tenant with USER_EMAIL_TAKEN', async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      const attempt = uow.inTenant(TENANT_A_ID, ({ users }) =>
        users.insert(aUser({ id: OTHER_USER_ID, email: 'ADA.LOVELACE@example.com' })),
      );
      await expect(attempt).rejects.toMatchObject({
        category: 'already_exists',
        code: 'USER_EMAIL_TAKEN',
      });
    });

    it('allows the same email in two tenants', async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      await uow.inTenant(TENANT_B_ID, ({ users }) =>
        users.insert(aUser({ tenantId: TENANT_B_ID })),
      );
      const inB = await uow.inTenant(TENANT_B_ID, ({ users }) =>
        users.findByEmail('ada.lovelace@example.com'),
      );
      expect(inB).toEqual(aUser({ tenantId: TENANT_B_ID }));
    });

    it("keeps a tenant's users invisible to other tenants, the platform tenant included", async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      for (const tenantId of [TENANT_B_ID, PLATFORM_TENANT_ID]) {
        await uow.inTenant(tenantId, async ({ users }) => {
          expect(await users.findById(USER_ID)).toBeUndefined();
          expect(await users.findByEmail('ada.lovelace@example.com')).toBeUndefined();
        });
      }
    });

    it("refuses to write a user into another tenant from a tenant's scope", async () => {
      const attempt = uow.inTenant(TENANT_B_ID, ({ users }) => users.insert(aUser()));
      await expect(attempt).rejects.toThrow(/row-level security/);
      expect(
        await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID)),
      ).toBeUndefined();
    });

    it('records a login, optionally with a rehashed password; never across tenants', async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      const at = new Date('2025-03-04T05:06:07.089Z');
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.recordLogin(USER_ID, at));
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        aUser({ lastLoginAt: at }),
      );
      const later = new Date('2025-03-05T00:00:00.000Z');
      const rehash = { from: aUser().passwordHash, to: '$argon2id$new' };
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.recordLogin(USER_ID, later, rehash));
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        aUser({ lastLoginAt: later, passwordHash: '$argon2id$new' }),
      );
      await uow.inTenant(TENANT_B_ID, ({ users }) =>
        users.recordLogin(USER_ID, new Date(0), { from: '$argon2id$new', to: 'x' }),
      );
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        aUser({ lastLoginAt: later, passwordHash: '$argon2id$new' }),
      );
    });

    it('keeps a password changed since the rehashed hash was read, recording the login still', async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      const verified = aUser().passwordHash;
      await uow.inTenant(TENANT_A_ID, ({ users }) =>
        users.update(aUser({ passwordHash: '$argon2id$changed' })),
      );
      const at = new Date('2025-03-04T05:06:07.089Z');
      await uow.inTenant(TENANT_A_ID, ({ users }) =>
        users.recordLogin(USER_ID, at, { from: verified, to: '$argon2id$rehashed' }),
      );
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        aUser({ lastLoginAt: at, passwordHash: '$argon2id$changed' }),
      );
    });

    it('reads a user for update like findById, within its tenant only', async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      expect(
        await uow.inTenant(TENANT_A_ID, ({ users }) => users.findByIdForUpdate(USER_ID)),
      ).toEqual(aUser());
      for (const [tenantId, id] of [
        [TENANT_A_ID, OTHER_USER_ID],
        [TENANT_B_ID, USER_ID],
      ] as const) {
        expect(
          await uow.inTenant(tenantId, ({ users }) => users.findByIdForUpdate(id)),
        ).toBeUndefined();
      }
    });

    it('lists users oldest first, ties broken by id, page by page with a keyset cursor', async () => {
      const users = fiveUsers();
      await uow.inTenant(TENANT_A_ID, async (scope) => {
        for (const user of users) await scope.users.insert(user);
      });
      const expected = ['d5', 'd1', 'd2', 'd3', 'd9'].map(
        (suffix) => `0c000000-0000-4000-8000-0000000000${suffix}`,
      );
      const seen: string[] = [];
      let after: string | undefined;
      const pages: Page<User>[] = [];
      do {
        const page = await uow.inTenant(TENANT_A_ID, ({ users: repo }) =>
          repo.list({ limit: 2, after }),
        );
        pages.push(page);
        seen.push(...page.items.map((user) => user.id));
        after = page.nextAfter;
      } while (after !== undefined && pages.length < 10);
      expect(seen).toEqual(expected);
      expect(pages.map((page) => page.items.length)).toEqual([2, 2, 1]);
      expect(pages[0]?.nextAfter).toBe(encodeUserCursor(pages[0]!.items[1]!));
      expect(pages[0]?.items[0]).toEqual(users[0]);
      // Exactly one full page: no next cursor.
      const all = await uow.inTenant(TENANT_A_ID, ({ users: repo }) =>
        repo.list({ limit: 5, after: undefined }),
      );
      expect(all.items.map((user) => user.id)).toEqual(expected);
      expect(all.nextAfter).toBeUndefined();
    });

    it("lists only the scope's tenant's users, the platform tenant included", async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      await uow.inTenant(TENANT_B_ID, ({ users }) =>
        users.insert(aUser({ tenantId: TENANT_B_ID, id: OTHER_USER_ID })),
      );
      const inB = await uow.inTenant(TENANT_B_ID, ({ users }) =>
        users.list({ limit: 10, after: undefined }),
      );
      expect(inB.items.map((user) => user.id)).toEqual([OTHER_USER_ID]);
      const inPlatform = await uow.inTenant(PLATFORM_TENANT_ID, ({ users }) =>
        users.list({ limit: 10, after: undefined }),
      );
      expect(inPlatform.items).toEqual([]);
    });

    it("updates a user; USER_NOT_FOUND for a missing or another tenant's user", async () => {
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
      const changed = aUser({
        status: 'disabled',
        displayName: 'Countess',
        email: 'ada@example.org',
        emailNormalized: 'ada@example.org',
        passwordHash: '$argon2id$other',
        lastLoginAt: new Date('2025-06-07T08:09:10.111Z'),
      });
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.update(changed));
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        changed,
      );
      for (const [tenantId, user] of [
        [TENANT_A_ID, aUser({ id: OTHER_USER_ID })],
        [TENANT_B_ID, aUser({ status: 'active' })],
      ] as const) {
        await expect(
          uow.inTenant(tenantId, ({ users }) => users.update(user)),
        ).rejects.toMatchObject({ category: 'not_found', code: 'USER_NOT_FOUND' });
      }
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        changed,
      );
    });

    it('refuses an update to an email another user of the tenant has', async () => {
      await uow.inTenant(TENANT_A_ID, async ({ users }) => {
        await users.insert(aUser());
        await users.insert(
          aUser({
            id: OTHER_USER_ID,
            email: 'grace@example.com',
            emailNormalized: 'grace@example.com',
          }),
        );
      });
      const attempt = uow.inTenant(TENANT_A_ID, ({ users }) =>
        users.update(aUser({ emailNormalized: 'grace@example.com' })),
      );
      await expect(attempt).rejects.toMatchObject({ code: 'USER_EMAIL_TAKEN' });
      // Keeping its own email is no conflict.
      await uow.inTenant(TENANT_A_ID, ({ users }) => users.update(aUser({ displayName: 'Ada' })));
    });

    it('rolls back every write of a unit of work that throws', async () => {
      const failing = uow.inTenant(TENANT_A_ID, async ({ users }) => {
        await users.insert(aUser());
        throw new Error('boom');
      });
      await expect(failing).rejects.toThrow('boom');
      expect(
        await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID)),
      ).toBeUndefined();
    });
  });
}
