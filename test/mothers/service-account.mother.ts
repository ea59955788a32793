import { formatClientId, type ServiceAccount } from '../../src/domain/identity/service-account.js';
import { CREATED_AT, TENANT_A_ID } from './tenant.mother.js';

export const SERVICE_ACCOUNT_ID = '05000000-0000-4000-8000-000000000001';

/** A live service account of tenant A ("billing-worker"); override what the test is about. */
export function aServiceAccount(overrides: Partial<ServiceAccount> = {}): ServiceAccount {
  const tenantId = overrides.tenantId ?? TENANT_A_ID;
  return {
    tenantId,
    id: SERVICE_ACCOUNT_ID,
    name: 'billing-worker',
    description: 'Runs the invoices',
    clientId: formatClientId(tenantId, 'AAAAAAAAAAAAAAAAAAAAAA'),
    secretHash: 'a'.repeat(64),
    previousSecretHash: undefined,
    previousSecretExpiresAt: undefined,
    createdAt: CREATED_AT,
    deletedAt: undefined,
    ...overrides,
  };
}
