import type { TenantCreator } from '../../../../application/tenancy/create-tenant.js';
import type { TenantStatusChanger } from '../../../../application/tenancy/change-tenant-status.js';
import type { TenantFinder } from '../../../../application/tenancy/get-tenant.js';
import type { TenantLister } from '../../../../application/tenancy/list-tenants.js';
import type { TenantUpdater } from '../../../../application/tenancy/update-tenant.js';
import { InvalidArgumentError } from '../../../../domain/shared/errors.js';
import type { TenancyServiceServer } from '../generated/wemaster/core/v1/tenancy.js';
import { auditContextOf } from '../mappers/audit-context.mapper.js';
import { decodePageToken, encodePageToken } from '../mappers/page-token.mapper.js';
import { fromProtoStatusFilter, toProtoTenant } from '../mappers/tenant.mapper.js';
import type { AsyncService } from '../unary-handler.js';

export interface TenancyUseCases {
  readonly create: TenantCreator;
  readonly find: TenantFinder;
  readonly list: TenantLister;
  readonly update: TenantUpdater;
  readonly changeStatus: TenantStatusChanger;
}

export function tenancyHandlers(useCases: TenancyUseCases): AsyncService<TenancyServiceServer> {
  return {
    createTenant: async (request, ctx) => {
      const tenant = await useCases.create.run(ctx.requireActor(), request, auditContextOf(ctx));
      return { tenant: toProtoTenant(tenant) };
    },
    getTenant: async (request, ctx) => {
      const { lookup } = request;
      if (lookup === undefined) throw new InvalidArgumentError('lookup', 'give id or slug');
      const tenant = await useCases.find.run(
        ctx.requireActor(),
        lookup.$case === 'id' ? { by: 'id', id: lookup.value } : { by: 'slug', slug: lookup.value },
      );
      return { tenant: toProtoTenant(tenant) };
    },
    listTenants: async (request, ctx) => {
      const page = await useCases.list.run(ctx.requireActor(), {
        pageSize: request.page?.pageSize ?? 0,
        after: decodePageToken('page.page_token', request.page?.pageToken ?? ''),
        status: fromProtoStatusFilter('status', request.status),
      });
      return {
        tenants: page.items.map(toProtoTenant),
        page: { nextPageToken: encodePageToken(page.nextAfter) },
      };
    },
    updateTenant: async (request, ctx) => {
      const tenant = await useCases.update.run(ctx.requireActor(), request, auditContextOf(ctx));
      return { tenant: toProtoTenant(tenant) };
    },
    suspendTenant: async (request, ctx) => ({
      tenant: toProtoTenant(
        await useCases.changeStatus.suspend(ctx.requireActor(), request.id, auditContextOf(ctx)),
      ),
    }),
    reactivateTenant: async (request, ctx) => ({
      tenant: toProtoTenant(
        await useCases.changeStatus.reactivate(ctx.requireActor(), request.id, auditContextOf(ctx)),
      ),
    }),
  };
}
