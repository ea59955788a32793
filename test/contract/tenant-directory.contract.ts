import { beforeEach, describe, expect, it } from 'vitest';

import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import type { UnitOfWork } from '../../src/domain/shared/unit-of-work.port.js';
import type { TenantDirectory } from '../../src/domain/tenancy/tenant-directory.port.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';

/** A directory and the unit of work writing the same store (empty but for the platform tenant). */
export type MakeDirectory = () => Promise<{ directory: TenantDirectory; unitOfWork: UnitOfWork }>;

/** The TenantDirectory port (uncached adapters), run unchanged against every adapter. */
export function tenantDirectoryContract(name: string, make: MakeDirectory): void {
  describe(`TenantDirectory contract: ${name}`, () => {
    let directory: TenantDirectory;
    beforeEach(async () => {
      const made = await make();
      directory = made.directory;
      await made.unitOfWork.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
        await tenants.insert(aTenant());
        await tenants.insert(anotherTenant({ status: 'suspended' }));
      });
    });

    it('resolves every tenant by slug and by id to (id, slug, status) only', async () => {
      expect(await directory.bySlug('acme')).toEqual({
        id: TENANT_A_ID,
        slug: 'acme',
        status: 'active',
      });
      expect(await directory.byId(TENANT_B_ID)).toEqual({
        id: TENANT_B_ID,
        slug: 'globex',
        status: 'suspended',
      });
      expect(await directory.bySlug('platform')).toEqual({
        id: PLATFORM_TENANT_ID,
        slug: 'platform',
        status: 'active',
      });
    });

    it('answers undefined for unknown slugs and ids, and for ids that are not UUIDs', async () => {
      expect(await directory.bySlug('nobody')).toBeUndefined();
      expect(await directory.byId('0f000000-0000-4000-8000-00000000000f')).toBeUndefined();
      expect(await directory.byId('acme')).toBeUndefined();
    });
  });
}
