import type { Page } from '../../domain/shared/page.js';
import { pageQuery } from '../../domain/shared/page.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { Tenant, TenantStatus } from '../../domain/tenancy/tenant.js';
import { InvalidArgumentError } from '../../domain/shared/errors.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import type { Actor } from '../shared/actor.js';

function parseCursor(field: string, raw: string): string {
  try {
    return parseTenantSlug(field, raw);
  } catch {
    throw new InvalidArgumentError(field, 'is not a page token from this server');
  }
}

export interface ListTenantsInput {
  readonly pageSize: number;
  readonly after: string | undefined;
  readonly status: TenantStatus | undefined;
}

export class TenantLister {
  constructor(private readonly uow: UnitOfWork) {}

  run(actor: Actor, input: ListTenantsInput): Promise<Page<Tenant>> {
    // The cursor is the last slug of the previous page; anything else is not our token.
    const after =
      input.after === undefined ? undefined : parseCursor('page.page_token', input.after);
    const query = pageQuery('page', input.pageSize, after);
    return this.uow.inTenant(actor.tenantId, (scope) => scope.tenants.list(query, input.status));
  }
}
