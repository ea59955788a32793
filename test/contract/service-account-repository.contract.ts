import { beforeEach, describe, expect, it } from 'vitest';

import { formatClientId } from '../../src/domain/identity/service-account.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import type { UnitOfWork } from '../../src/domain/shared/unit-of-work.port.js';
import { aRole, aRoleBinding, ROLE_ID } from '../mothers/role.mother.js';
import { aServiceAccount, SERVICE_ACCOUNT_ID } from '../mothers/service-account.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import type { MakeUnitOfWork } from './tenant-repository.contract.js';

const SECOND_ID = '05000000-0000-4000-8000-000000000002';
const THIRD_ID = '05000000-0000-4000-8000-000000000003';

/** The ServiceAccountRepository port, run unchanged against every adapter. */
export function serviceAccountRepositoryContract(
  name: string,
  makeUnitOfWork: MakeUnitOfWork,
): void {
  describe(`ServiceAccountRepository contract: ${name}`, () => {
    let uow: UnitOfWork;
    beforeEach(async () => {
      uow = await makeUnitOfWork();
      await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
        await tenants.insert(aTenant());
        await tenants.insert(anotherTenant());
      });
    });

    it('stores an account and finds it by id and by client id', async () => {
      await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
        serviceAccounts.insert(aServiceAccount()),
      );
      await uow.inTenant(TENANT_A_ID, async ({ serviceAccounts }) => {
        expect(await serviceAccounts.findById(SERVICE_ACCOUNT_ID)).toEqual(aServiceAccount());
        expect(await serviceAccounts.findByClientId(aServiceAccount().clientId)).toEqual(
          aServiceAccount(),
        );
        expect(await serviceAccounts.findByClientId('sa_nope')).toBeUndefined();
      });
    });

    it('never shows one tenant the accounts of another', async () => {
      await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
        serviceAccounts.insert(aServiceAccount()),
      );
      await uow.inTenant(TENANT_B_ID, async ({ serviceAccounts }) => {
        expect(await serviceAccounts.findById(SERVICE_ACCOUNT_ID)).toBeUndefined();
        expect(await serviceAccounts.findByClientId(aServiceAccount().clientId)).toBeUndefined();
        expect((await serviceAccounts.list({ limit: 10, after: undefined })).items).toEqual([]);
        expect(await serviceAccounts.markDeleted(SERVICE_ACCOUNT_ID, new Date())).toBe(false);
        expect(
          await serviceAccounts.updateSecret(SERVICE_ACCOUNT_ID, 'b', undefined, undefined),
        ).toBe(false);
      });
      const platform = await uow.inTenant(PLATFORM_TENANT_ID, ({ serviceAccounts }) =>
        serviceAccounts.findById(SERVICE_ACCOUNT_ID),
      );
      expect(platform).toBeUndefined();
    });

    it('refuses writing another tenant row', async () => {
      await expect(
        uow.inTenant(TENANT_B_ID, ({ serviceAccounts }) =>
          serviceAccounts.insert(aServiceAccount()),
        ),
      ).rejects.toMatchObject({ code: '42501' });
    });

    it('refuses a live duplicate name with SERVICE_ACCOUNT_NAME_TAKEN; other tenants and deleted ones do not count', async () => {
      await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
        serviceAccounts.insert(aServiceAccount()),
      );
      await expect(
        uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
          serviceAccounts.insert(
            aServiceAccount({
              id: SECOND_ID,
              clientId: formatClientId(TENANT_A_ID, 'B'.repeat(22)),
            }),
          ),
        ),
      ).rejects.toMatchObject({ code: 'SERVICE_ACCOUNT_NAME_TAKEN' });
      await uow.inTenant(TENANT_B_ID, ({ serviceAccounts }) =>
        serviceAccounts.insert(aServiceAccount({ tenantId: TENANT_B_ID })),
      );
      await uow.inTenant(TENANT_A_ID, async ({ serviceAccounts }) => {
        expect(await serviceAccounts.markDeleted(SERVICE_ACCOUNT_ID, new Date())).toBe(true);
        await serviceAccounts.insert(
          aServiceAccount({ id: SECOND_ID, clientId: formatClientId(TENANT_A_ID, 'B'.repeat(22)) }),
        );
      });
    });

    it('lists live accounts by id, page by page, with their sorted roles', async () => {
      await uow.inTenant(TENANT_A_ID, async ({ serviceAccounts, roles }) => {
        await roles.insertRoles([
          aRole(),
          aRole({ id: '0d000000-0000-4000-8000-0000000000d2', name: 'member' }),
        ]);
        for (const [id, n] of [
          [THIRD_ID, 'C'],
          [SERVICE_ACCOUNT_ID, 'A'],
          [SECOND_ID, 'B'],
        ] as const) {
          await serviceAccounts.insert(
            aServiceAccount({
              id,
              name: `worker-${n}`,
              clientId: formatClientId(TENANT_A_ID, n.repeat(22)),
            }),
          );
        }
        await roles.insertBinding(aRoleBinding({ subjectId: SERVICE_ACCOUNT_ID, roleId: ROLE_ID }));
        await roles.insertBinding(
          aRoleBinding({
            id: '0e000000-0000-4000-8000-0000000000e2',
            subjectId: SERVICE_ACCOUNT_ID,
            roleId: '0d000000-0000-4000-8000-0000000000d2',
          }),
        );
        await serviceAccounts.markDeleted(THIRD_ID, new Date());
      });
      const first = await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
        serviceAccounts.list({ limit: 1, after: undefined }),
      );
      expect(first.items.map((v) => [v.account.id, v.roles])).toEqual([
        [SERVICE_ACCOUNT_ID, ['admin', 'member']],
      ]);
      expect(first.nextAfter).toBe(SERVICE_ACCOUNT_ID);
      const second = await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
        serviceAccounts.list({ limit: 1, after: first.nextAfter }),
      );
      expect(second.items.map((v) => [v.account.id, v.roles])).toEqual([[SECOND_ID, []]]);
      expect(second.nextAfter).toBeUndefined();
    });

    it('replaces secret digests and soft-deletes; a deleted account is invisible and stays deleted', async () => {
      const until = new Date('2025-06-01T00:00:00.000Z');
      await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
        serviceAccounts.insert(aServiceAccount()),
      );
      await uow.inTenant(TENANT_A_ID, async ({ serviceAccounts }) => {
        expect(
          await serviceAccounts.updateSecret(
            SERVICE_ACCOUNT_ID,
            'b'.repeat(64),
            'a'.repeat(64),
            until,
          ),
        ).toBe(true);
        expect(await serviceAccounts.findById(SERVICE_ACCOUNT_ID)).toEqual(
          aServiceAccount({
            secretHash: 'b'.repeat(64),
            previousSecretHash: 'a'.repeat(64),
            previousSecretExpiresAt: until,
          }),
        );
        expect(await serviceAccounts.markDeleted(SERVICE_ACCOUNT_ID, until)).toBe(true);
        expect(await serviceAccounts.markDeleted(SERVICE_ACCOUNT_ID, until)).toBe(false);
        expect(await serviceAccounts.findById(SERVICE_ACCOUNT_ID)).toBeUndefined();
        expect(await serviceAccounts.findByClientId(aServiceAccount().clientId)).toBeUndefined();
        expect(
          await serviceAccounts.updateSecret(SERVICE_ACCOUNT_ID, 'c', undefined, undefined),
        ).toBe(false);
      });
    });
  });
}
