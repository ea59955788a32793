import { InvalidArgumentError } from '../../../../domain/shared/errors.js';
import type { Tenant as DomainTenant, TenantStatus } from '../../../../domain/tenancy/tenant.js';
import {
  type Tenant,
  TenantStatus as ProtoTenantStatus,
} from '../generated/wemaster/core/v1/tenancy.js';

const TO_PROTO: Record<TenantStatus, ProtoTenantStatus> = {
  active: ProtoTenantStatus.TENANT_STATUS_ACTIVE,
  suspended: ProtoTenantStatus.TENANT_STATUS_SUSPENDED,
  past_due: ProtoTenantStatus.TENANT_STATUS_PAST_DUE,
};

export function toProtoTenant(tenant: DomainTenant): Tenant {
  return {
    id: tenant.id,
    slug: tenant.slug,
    displayName: tenant.displayName,
    plan: tenant.plan,
    status: TO_PROTO[tenant.status],
    selfSignUpEnabled: tenant.selfSignUpEnabled,
    billing: undefined,
    createTime: tenant.createdAt,
    updateTime: tenant.updatedAt,
  };
}

/** A status filter: UNSPECIFIED means none; values this server does not know are refused. */
export function fromProtoStatusFilter(
  field: string,
  value: ProtoTenantStatus,
): TenantStatus | undefined {
  if (value === ProtoTenantStatus.TENANT_STATUS_UNSPECIFIED) return undefined;
  const entry = Object.entries(TO_PROTO).find(([, proto]) => proto === value);
  if (entry === undefined)
    throw new InvalidArgumentError(field, `unknown tenant status ${String(value)}`);
  return entry[0] as TenantStatus;
}
