import type { BindingAdmin } from '../../../../application/authorization/binding-admin.js';
import type { PolicyDecisionPoint } from '../../../../application/authorization/policy-decision-point.js';
import type { RoleAdmin } from '../../../../application/authorization/role-admin.js';
import {
  AuthorizationServiceService,
  type AuthorizationServiceServer,
} from '../generated/wemaster/core/v1/authorization.js';
import { auditContextOf } from '../mappers/audit-context.mapper.js';
import { toBindingProto, toCheckResponse, toRoleProto } from '../mappers/authorization.mapper.js';
import {
  encodeCheckManyResponse,
  encodeCheckResponse,
} from '../mappers/check-response.encoding.js';
import { decodePageToken, encodePageToken } from '../mappers/page-token.mapper.js';
import type { AsyncService } from '../unary-handler.js';

export interface AuthorizationUseCases {
  readonly decisions: PolicyDecisionPoint;
  readonly roles: RoleAdmin;
  readonly bindings: BindingAdmin;
}

/** The generated definition, with the hot responses encoded through the reason cache. */
export const authorizationServiceDefinition = {
  ...AuthorizationServiceService,
  check: { ...AuthorizationServiceService.check, responseSerialize: encodeCheckResponse },
  checkMany: {
    ...AuthorizationServiceService.checkMany,
    responseSerialize: encodeCheckManyResponse,
  },
};

export function authorizationHandlers(
  useCases: AuthorizationUseCases,
): AsyncService<AuthorizationServiceServer> {
  const { decisions, roles, bindings } = useCases;
  return {
    // The audit context is made only for an audited decision (a denial, a sensitive grant).
    check: async (request, ctx) =>
      toCheckResponse(
        await decisions.check(ctx.requireActor(), request, () => auditContextOf(ctx)),
      ),
    checkMany: async (request, ctx) => ({
      results: (
        await decisions.checkMany(ctx.requireActor(), request.items, () => auditContextOf(ctx))
      ).map(toCheckResponse),
    }),
    listPermissions: async (request, ctx) => ({
      permissions: [
        ...(await decisions.listPermissions(ctx.requireActor(), request, auditContextOf(ctx))),
      ],
    }),
    createRole: async (request, ctx) => ({
      role: toRoleProto(await roles.create(ctx.requireActor(), request, auditContextOf(ctx))),
    }),
    updateRole: async (request, ctx) => ({
      role: toRoleProto(await roles.update(ctx.requireActor(), request, auditContextOf(ctx))),
    }),
    deleteRole: async (request, ctx) => {
      await roles.delete(ctx.requireActor(), request, auditContextOf(ctx));
      return {};
    },
    getRole: async (request, ctx) => ({
      role: toRoleProto(await roles.get(ctx.requireActor(), request.role)),
    }),
    listRoles: async (request, ctx) => {
      const page = await roles.list(ctx.requireActor(), {
        pageSize: request.page?.pageSize ?? 0,
        after: decodePageToken('page.page_token', request.page?.pageToken ?? ''),
      });
      return {
        roles: page.items.map(toRoleProto),
        page: { nextPageToken: encodePageToken(page.nextAfter) },
      };
    },
    assignRole: async (request, ctx) => ({
      binding: toBindingProto(
        await bindings.assign(
          ctx.requireActor(),
          {
            subjectId: request.subjectId,
            role: request.role,
            resource: request.resource,
            expiresAt: request.expireTime,
          },
          auditContextOf(ctx),
        ),
      ),
    }),
    revokeRole: async (request, ctx) => {
      await bindings.revoke(ctx.requireActor(), request, auditContextOf(ctx));
      return {};
    },
    listRoleBindings: async (request, ctx) => {
      const page = await bindings.list(ctx.requireActor(), {
        subjectId: request.subjectId,
        role: request.role,
        pageSize: request.page?.pageSize ?? 0,
        after: decodePageToken('page.page_token', request.page?.pageToken ?? ''),
      });
      return {
        bindings: page.items.map(toBindingProto),
        page: { nextPageToken: encodePageToken(page.nextAfter) },
      };
    },
  };
}
