import { DomainError } from '../shared/errors.js';
import { PLATFORM_TENANT_ID } from '../shared/platform-tenant.js';

export type TenantStatus = 'active' | 'suspended' | 'past_due';

export interface Tenant {
  readonly id: string;
  readonly slug: string;
  readonly displayName: string;
  readonly plan: string;
  readonly status: TenantStatus;
  readonly selfSignUpEnabled: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const DEFAULT_PLAN = 'free';

/** Whether a tenant's users may log in and its tokens validate. */
export const isTenantUsable = (status: TenantStatus): boolean => status !== 'suspended';

export function suspendTenant(tenant: Tenant, now: Date): Tenant {
  if (tenant.id === PLATFORM_TENANT_ID) {
    throw new DomainError(
      'failed_precondition',
      'PLATFORM_TENANT_PROTECTED',
      'the platform tenant cannot be suspended',
    );
  }
  if (tenant.status === 'suspended') return tenant;
  return { ...tenant, status: 'suspended', updatedAt: now };
}

export function reactivateTenant(tenant: Tenant, now: Date): Tenant {
  if (tenant.status !== 'suspended') return tenant;
  return { ...tenant, status: 'active', updatedAt: now };
}
