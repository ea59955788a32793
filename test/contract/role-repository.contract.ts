import { beforeEach, describe, expect, it } from 'vitest';

import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import type { TenantScope, UnitOfWork } from '../../src/domain/shared/unit-of-work.port.js';
import { aRole, aRoleBinding, BINDING_ID, ROLE_ID } from '../mothers/role.mother.js';
import {
  aTenant,
  anotherTenant,
  CREATED_AT,
  TENANT_A_ID,
  TENANT_B_ID,
} from '../mothers/tenant.mother.js';
import { USER_ID } from '../mothers/user.mother.js';
import type { MakeUnitOfWork } from './tenant-repository.contract.js';

const MEMBER_ROLE_ID = '0d000000-0000-4000-8000-0000000000d2';
const OWNER_ROLE_ID = '0d000000-0000-4000-8000-0000000000d3';
const OTHER_ID = '0d000000-0000-4000-8000-0000000000ff';
const BINDING_2 = '0e000000-0000-4000-8000-0000000000f2';
const BINDING_3 = '0e000000-0000-4000-8000-0000000000f3';
const BINDING_4 = '0e000000-0000-4000-8000-0000000000f4';
const idOf = (i: number): string =>
  `0d000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`;
const bindingIdOf = (i: number): string =>
  `0e000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`;

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

    it('finds roles by id, by ids and keeps inherits in their order', async () => {
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([owner(), member()]);
        await roles.insertRoles([
          aRole({ system: false, name: 'editor', inherits: [OWNER_ROLE_ID, MEMBER_ROLE_ID] }),
        ]);
      });
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        const editor = await roles.findRoleById(ROLE_ID);
        expect(editor?.name).toBe('editor');
        expect(editor?.inherits).toEqual([OWNER_ROLE_ID, MEMBER_ROLE_ID]);
        expect(await roles.findRoleById(OTHER_ID)).toBeUndefined();
        const found = await roles.findRolesByIds([MEMBER_ROLE_ID, OTHER_ID, OWNER_ROLE_ID]);
        expect(found.map((role) => role.name).sort()).toEqual(['member', 'owner']);
        expect((await roles.rolesInheriting(MEMBER_ROLE_ID)).map((role) => role.name)).toEqual([
          'editor',
        ]);
        expect(await roles.rolesInheriting(ROLE_ID)).toEqual([]);
      });
    });

    it('pages roles by name with a stable cursor', async () => {
      const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
      await uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.insertRoles(names.map((name, i) => aRole({ id: idOf(i), name, system: false }))),
      );
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await uow.inTenant(TENANT_A_ID, ({ roles }) =>
          roles.listRolesPage({ limit: 2, after }),
        );
        seen.push(...page.items.map((role) => role.name));
        after = page.nextAfter;
        if (after === undefined) break;
      }
      expect(seen).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
    });

    it('updates description, permissions and inherits of a role, not its name', async () => {
      await uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.insertRoles([owner(), member(), aRole({ system: false, inherits: [OWNER_ROLE_ID] })]),
      );
      const later = new Date(CREATED_AT.getTime() + 60_000);
      const updated = await uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.updateRole(
          aRole({
            name: 'ignored',
            description: 'new',
            permissions: ['documents:read'],
            inherits: [MEMBER_ROLE_ID],
            updatedAt: later,
          }),
        ),
      );
      expect(updated).toBe(true);
      const role = await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.findRoleById(ROLE_ID));
      expect(role).toEqual(
        aRole({
          description: 'new',
          permissions: ['documents:read'],
          inherits: [MEMBER_ROLE_ID],
          system: false,
          updatedAt: later,
        }),
      );
      const missing = await uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.updateRole(aRole({ id: OTHER_ID })),
      );
      expect(missing).toBe(false);
    });

    it('refuses an inherits link to a role of another tenant or to itself', async () => {
      await uow.inTenant(TENANT_B_ID, ({ roles }) => roles.insertRoles([member(TENANT_B_ID)]));
      const cross = uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.insertRoles([aRole({ inherits: [MEMBER_ROLE_ID] })]),
      );
      await expect(cross).rejects.toMatchObject({ code: '23503' });
      await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.insertRoles([aRole()]));
      const self = uow.inTenant(TENANT_A_ID, ({ roles }) =>
        roles.updateRole(aRole({ inherits: [ROLE_ID] })),
      );
      await expect(self).rejects.toMatchObject({ code: '23514' });
    });

    it('deletes a role with its bindings and the inherits links naming it', async () => {
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([member(), aRole({ system: false, inherits: [MEMBER_ROLE_ID] })]);
        await roles.insertBinding(aRoleBinding({ roleId: MEMBER_ROLE_ID }));
      });
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.countBindingsOfRole(MEMBER_ROLE_ID)).toBe(1);
        expect(await roles.deleteRole(MEMBER_ROLE_ID)).toBe(true);
        expect(await roles.deleteRole(MEMBER_ROLE_ID)).toBe(false);
      });
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.findRoleById(MEMBER_ROLE_ID)).toBeUndefined();
        expect((await roles.findRoleById(ROLE_ID))?.inherits).toEqual([]);
        expect(await roles.bindingsOf(USER_ID)).toEqual([]);
      });
    });

    it('keeps one binding per subject, role and resource; returns the existing one', async () => {
      await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.insertRoles([aRole()]));
      const scoped = aRoleBinding({
        id: BINDING_2,
        scope: { kind: 'resource', resource: 'documents/7' },
        expiresAt: new Date('2030-01-01T00:00:00.000Z'),
      });
      const [first, again, resource, resourceAgain] = await uow.inTenant(
        TENANT_A_ID,
        async ({ roles }) => [
          await roles.insertBinding(aRoleBinding()),
          await roles.insertBinding(aRoleBinding({ id: BINDING_3 })),
          await roles.insertBinding(scoped),
          await roles.insertBinding({ ...scoped, id: BINDING_4 }),
        ],
      );
      expect(first).toEqual(aRoleBinding());
      expect(again).toEqual(aRoleBinding());
      expect(resource).toEqual(scoped);
      expect(resourceAgain).toEqual(scoped);
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.bindingsOf(USER_ID)).toEqual([aRoleBinding(), scoped]);
        expect(await roles.findBinding(USER_ID, ROLE_ID, 'documents/7')).toEqual(scoped);
        expect(await roles.findBinding(USER_ID, ROLE_ID, undefined)).toEqual(aRoleBinding());
        expect(await roles.findBinding(USER_ID, ROLE_ID, 'documents/8')).toBeUndefined();
        expect(await roles.findBindingById(BINDING_2)).toEqual(scoped);
        expect(await roles.findBindingById(BINDING_3)).toBeUndefined();
      });
    });

    it('changes expiry and deletes bindings', async () => {
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([aRole()]);
        await roles.insertBinding(aRoleBinding());
      });
      const expiry = new Date('2031-05-06T07:08:09.000Z');
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.updateBindingExpiry(BINDING_ID, expiry)).toBe(true);
        expect(await roles.updateBindingExpiry(BINDING_2, expiry)).toBe(false);
      });
      expect(
        await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.findBindingById(BINDING_ID)),
      ).toEqual(aRoleBinding({ expiresAt: expiry }));
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.deleteBinding(BINDING_ID)).toBe(true);
        expect(await roles.deleteBinding(BINDING_ID)).toBe(false);
      });
      expect(await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.bindingsOf(USER_ID))).toEqual([]);
    });

    it('lists bindings by id with filters and a stable cursor', async () => {
      const other = '0c000000-0000-4000-8000-0000000000c2';
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([aRole(), member()]);
        for (let i = 0; i < 5; i++) {
          await roles.insertBinding(
            aRoleBinding({
              id: bindingIdOf(i),
              subjectId: i % 2 === 0 ? USER_ID : other,
              roleId: i < 3 ? ROLE_ID : MEMBER_ROLE_ID,
              scope: { kind: 'resource', resource: `documents/${String(i)}` },
            }),
          );
        }
      });
      const all = async (filter: { subjectId?: string; roleId?: string }): Promise<string[]> => {
        const ids: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await uow.inTenant(TENANT_A_ID, ({ roles }) =>
            roles.listBindings(filter, { limit: 2, after }),
          );
          ids.push(...page.items.map((binding) => binding.id));
          after = page.nextAfter;
          if (after === undefined) break;
        }
        return ids;
      };
      expect(await all({})).toEqual([0, 1, 2, 3, 4].map(bindingIdOf));
      expect(await all({ subjectId: USER_ID })).toEqual([0, 2, 4].map(bindingIdOf));
      expect(await all({ roleId: MEMBER_ROLE_ID })).toEqual([3, 4].map(bindingIdOf));
      expect(await all({ subjectId: other, roleId: ROLE_ID })).toEqual([bindingIdOf(1)]);
    });

    it('counts bindings of a role, tenant-wide and unexpired ones on demand, and names unexpired tenant-wide roles', async () => {
      const now = new Date('2026-01-01T00:00:00.000Z');
      const past = new Date(now.getTime() - 1000);
      const future = new Date(now.getTime() + 1000);
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        await roles.insertRoles([owner(), member(), aRole()]);
        await roles.insertBinding(aRoleBinding({ id: bindingIdOf(0), roleId: OWNER_ROLE_ID }));
        await roles.insertBinding(
          aRoleBinding({
            id: bindingIdOf(1),
            roleId: OWNER_ROLE_ID,
            subjectId: OTHER_ID,
            expiresAt: past,
          }),
        );
        await roles.insertBinding(
          aRoleBinding({
            id: bindingIdOf(2),
            roleId: OWNER_ROLE_ID,
            subjectId: OTHER_ID,
            scope: { kind: 'resource', resource: 'documents/1' },
          }),
        );
        await roles.insertBinding(
          aRoleBinding({ id: bindingIdOf(3), roleId: ROLE_ID, expiresAt: future }),
        );
        await roles.insertBinding(
          aRoleBinding({
            id: bindingIdOf(4),
            roleId: MEMBER_ROLE_ID,
            scope: { kind: 'resource', resource: 'documents/1' },
          }),
        );
      });
      await uow.inTenant(TENANT_A_ID, async ({ roles }) => {
        expect(await roles.countBindingsOfRole(OWNER_ROLE_ID)).toBe(3);
        expect(await roles.countBindingsOfRole(OWNER_ROLE_ID, { tenantWideOnly: true })).toBe(2);
        expect(
          await roles.countBindingsOfRole(OWNER_ROLE_ID, { tenantWideOnly: true, activeAt: now }),
        ).toBe(1);
        expect(await roles.countBindingsOfRole(MEMBER_ROLE_ID, { tenantWideOnly: true })).toBe(0);
        expect(await roles.roleNamesOf(USER_ID, now)).toEqual(['admin', 'owner']);
        expect(await roles.roleNamesOf(USER_ID, new Date(future.getTime() + 1))).toEqual(['owner']);
        expect(await roles.roleNamesOf(OTHER_ID, now)).toEqual([]);
      });
    });

    it('bumps the policy version on every role, inherits or binding write, per tenant', async () => {
      const versionOf = (tenantId: string) =>
        uow.inTenant(tenantId, ({ roles }) => roles.policyVersion());
      expect(await versionOf(TENANT_A_ID)).toBe(0);
      const bumped = await uow.inTenant(TENANT_A_ID, ({ roles }) => roles.bumpPolicyVersion());
      expect(bumped).toBe(1);
      let last = await versionOf(TENANT_A_ID);
      expect(last).toBe(1);
      const writes: ((scope: TenantScope) => Promise<unknown>)[] = [
        ({ roles }) => roles.insertRoles([member(), aRole()]),
        ({ roles }) => roles.updateRole(aRole({ inherits: [MEMBER_ROLE_ID] })),
        ({ roles }) => roles.insertBinding(aRoleBinding()),
        ({ roles }) => roles.updateBindingExpiry(BINDING_ID, new Date('2030-01-01T00:00:00Z')),
        ({ roles }) => roles.deleteBinding(BINDING_ID),
        ({ roles }) => roles.deleteRole(MEMBER_ROLE_ID),
      ];
      for (const write of writes) {
        await uow.inTenant(TENANT_A_ID, write);
        const next = await versionOf(TENANT_A_ID);
        expect(next).toBeGreaterThan(last);
        last = next;
      }
      expect(await versionOf(TENANT_B_ID)).toBe(0);
      // A rolled-back change leaves the version as it was.
      await expect(
        uow.inTenant(TENANT_A_ID, async ({ roles }) => {
          await roles.bumpPolicyVersion();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await versionOf(TENANT_A_ID)).toBe(last);
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
