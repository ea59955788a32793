import type { Page } from '../../domain/shared/page.js';
import { pageQuery } from '../../domain/shared/page.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { Tenant, TenantStatus } from '../../domain/tenancy/tenant.js';
import type { Actor } from '../shared/actor.js';

export interface ListTenantsInput {
  readonly pageSize: number;
  readonly after: string | undefined;
  readonly status: TenantStatus | undefined;
}

export class TenantLister {
  constructor(private readonly uow: UnitOfWork) {}

  run(actor: Actor, input: ListTenantsInput): Promise<Page<Tenant>> {
    const query = pageQuery('page', input.pageSize, input.after);
    return this.uow.inTenant(actor.tenantId, (scope) => scope.tenants.list(query, input.status));
  }
}
