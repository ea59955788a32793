import { beforeEach, describe, expect, it } from 'vitest';

import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import type { UnitOfWork } from '../../src/domain/shared/unit-of-work.port.js';
import { aRole, aRoleBinding, ROLE_ID } from '../mothers/role.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { USER_ID } from '../mothers/user.mother.js';
import type { MakeUnitOfWork } from './tenant-repository.contract.js';

const MEMBER_ROLE_ID = '0d000000-0000-4000-8000-0000000000d2';
const OWNER_ROLE_ID = '0d000000-0000-4000-8000-0000000000d3';

const member = (tenantId = TENANT_A_ID) =>
  aRole({ tenantId, id: MEMBER_ROLE_ID, name: 'member', permissions: ['tenant:read'] });
const owner = (tenantId = TENANT_A_ID) =>
  aRole({ tenantId, id: OWNER_ROLE_ID, name: 'owner', permissions: ['*'] });

/** The RoleRepository port, run unchanged against every adapter. */
export function roleRepositoryContract(name: string, makeUnitOfWork: MakeUnitOfWork): void {
  describe(`RoleRepository contract: ${name}`, () => {
    let uow: UnitOfWork;
    beforeEach(async () => {
      uow = await makeUnitOfWork();
      await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
        await tenants.insert(aTenant());
        await tenants.insert(anotherTenant());
      });
    });

    it('stores roles, finds one by name and lists them by name', async () => {
      await uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.insertRoles([owner(), member(), aRole()]),
      );
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.findRoleByName('admin')).toEqual(aRole());
        expect(await roles.findRoleByName('nobody')).toBeUndefined();
        expect((await roles.listRoles()).map((role) => role.name)).toEqual([
          'admin',
          'member',
          'owner',
        ]);
      });
    });

    it('refuses a duplicate role name within a tenant with ROLE_NAME_TAKEN, inserting none of the batch', async () => {
      await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.insertRoles([aRole()]));
      const attempt = uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.insertRoles([member(), aRole({ id: OWNER_ROLE_ID })]),
      );
      await expect(attempt).rejects.toMatchObject({
        code: 'ROLE_NAME_TAKEN',
        metadata: { name: 'admin' },
      });
      expect(
        await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.findRoleByName('member')),
      ).toBeUndefined();
    });

    it('allows the same role names in every tenant, each seeing only its own', async () => {
      await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.insertRoles([aRole(), member()]));
      await uow.inTenant(TENANT_B_ID, ({ roles }) =>
        roles.insertRoles([aRole({ tenantId: TENANT_B_ID })]),
      );
      const inB = await uow.inTenant(TENANT_B_ID, ({ roles }) => roles.listRoles());
      expect(inB).toEqual([aRole({ tenantId: TENANT_B_ID })]);
      const inPlatform = await uow.inTenant(PLATFORM_TENANT_ID, ({ roles }) => roles.listRoles());
      expect(inPlatform).toEqual([]);
    });

    it('binds subjects to roles and answers their sorted role names; binding twice is a no-op', async () => {
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([owner(), member(), aRole()]);
        await roles.insertBinding(aRoleBinding({ roleId: OWNER_ROLE_ID }));
        await roles.insertBinding(
          aRoleBinding({ id: '0e000000-0000-4000-8000-0000000000e2', roleId: ROLE_ID }),
        );
        await roles.insertBinding(
          aRoleBinding({ id: '0e000000-0000-4000-8000-0000000000e3', roleId: ROLE_ID }),
        );
      });
      const names = await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.roleNamesOf(USER_ID));
      expect(names).toEqual(['admin', 'owner']);
      const nobody = await uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.roleNamesOf('0c000000-0000-4000-8000-0000000000ff'),
      );
      expect(nobody).toEqual([]);
    });

    it("never reveals or binds another tenant's roles", async () => {
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([aRole()]);
        await roles.insertBinding(aRoleBinding());
      });
      await uow.inTenant(TENANT_B_ID, async ({ roles }) => {
        expect(await roles.findRoleByName('admin')).toBeUndefined();
        expect(await roles.roleNamesOf(USER_ID)).toEqual([]);
      });
      // B's binding to A's role id: the foreign key is (tenant_id, role_id), so it does not exist.
      const crossBinding = uow.inTenant(TENANT_B_ID, ({ roles }) =>
        roles.insertBinding(aRoleBinding({ tenantId: TENANT_B_ID })),
      );
      await expect(crossBinding).rejects.toMatchObject({ code: '23503' });
      const wrongTenant = uow.inTenant(TENANT_B_ID, ({ roles }) => roles.insertRoles([member()]));
      await expect(wrongTenant).rejects.toThrow(/row-level security/);
    });

    it('rolls back every write of a unit of work that throws', async () => {
      const failing = uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([aRole()]);
        await roles.insertBinding(aRoleBinding());
        throw new Error('boom');
      });
      await expect(failing).rejects.toThrow('boom');
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.listRoles()).toEqual([]);
        expect(await roles.roleNamesOf(USER_ID)).toEqual([]);
      });
    });
  });
}
