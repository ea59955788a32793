import type { Tenant } from '../../src/domain/tenancy/tenant.js';

export const TENANT_A_ID = '0a000000-0000-4000-8000-00000000000a';
export const TENANT_B_ID = '0b000000-0000-4000-8000-00000000000b';
export const CREATED_AT = new Date('2025-01-02T03:04:05.678Z');

/** A valid active tenant ("acme"); override what the test is about. */
export function aTenant(overrides: Partial<Tenant> = {}): Tenant {
  return {
    id: TENANT_A_ID,
    slug: 'acme',
    displayName: 'Acme Corporation',
    plan: 'free',
    status: 'active',
    selfSignUpEnabled: false,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

/** A second tenant ("globex"), distinct from `aTenant()` in every key. */
export const anotherTenant = (overrides: Partial<Tenant> = {}): Tenant =>
  aTenant({ id: TENANT_B_ID, slug: 'globex', displayName: 'Globex', ...overrides });
