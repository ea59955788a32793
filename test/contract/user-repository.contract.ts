import { beforeEach, describe, expect, it } from 'vitest';

import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import type { UnitOfWork } from '../../src/domain/shared/unit-of-work.port.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../mothers/user.mother.js';
import type { MakeUnitOfWork } from './tenant-repository.contract.js';

const OTHER_USER_ID = '0c000000-0000-4000-8000-0000000000c2';

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
      await uow.inTenant(TENANT_A_ID, ({ users }) =>
        users.recordLogin(USER_ID, later, '$argon2id$new'),
      );
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        aUser({ lastLoginAt: later, passwordHash: '$argon2id$new' }),
      );
      await uow.inTenant(TENANT_B_ID, ({ users }) => users.recordLogin(USER_ID, new Date(0), 'x'));
      expect(await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID))).toEqual(
        aUser({ lastLoginAt: later, passwordHash: '$argon2id$new' }),
      );
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
