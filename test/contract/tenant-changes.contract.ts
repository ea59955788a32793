import { describe, expect, it } from 'vitest';
import type { TenantChanges } from '../../src/domain/tenancy/tenant-changes.port.js';
import { TENANT_A_ID } from '../mothers/tenant.mother.js';

/** What every TenantChanges adapter must do for the caches that listen to it. */
export function tenantChangesContract(name: string, make: () => Promise<TenantChanges>): void {
  describe(`TenantChanges contract: ${name}`, () => {
    it('tells every local listener at once, synchronously', async () => {
      const changes = await make();
      const heard: string[][] = [[], []];
      changes.onChange((id) => heard[0]?.push(id));
      changes.onChange((id) => heard[1]?.push(id));
      changes.changed(TENANT_A_ID);
      expect(heard[0]).toContain(TENANT_A_ID);
      expect(heard[1]).toContain(TENANT_A_ID);
    });
  });
}
