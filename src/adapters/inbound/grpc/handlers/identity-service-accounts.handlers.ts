import type {
  ServiceAccountCreator,
  ServiceAccountDeleter,
  ServiceAccountLister,
  ServiceAccountSecretRotator,
  ServiceTokenIssuer,
  SigningKeyRotator,
} from '../../../../application/identity/service-accounts.js';
import type { ServiceAccountView } from '../../../../domain/identity/service-account.js';
import type {
  IdentityServiceServer,
  ServiceAccount,
} from '../generated/wemaster/core/v1/identity.js';
import { auditContextOf } from '../mappers/audit-context.mapper.js';
import { decodePageToken, encodePageToken } from '../mappers/page-token.mapper.js';
import type { AsyncService } from '../unary-handler.js';

export type ServiceAccountMethods =
  | 'createServiceAccount'
  | 'listServiceAccounts'
  | 'issueServiceToken'
  | 'rotateServiceAccountSecret'
  | 'deleteServiceAccount'
  | 'rotateSigningKey';

export interface ServiceAccountUseCases {
  readonly create: ServiceAccountCreator;
  readonly list: ServiceAccountLister;
  readonly issueToken: ServiceTokenIssuer;
  readonly rotateSecret: ServiceAccountSecretRotator;
  readonly delete: ServiceAccountDeleter;
  readonly rotateSigningKey: SigningKeyRotator;
}

/** The public view of a service account: never a secret nor its digest. */
const toProto = ({ account, roles }: ServiceAccountView): ServiceAccount => ({
  id: account.id,
  tenantId: account.tenantId,
  name: account.name,
  description: account.description,
  clientId: account.clientId,
  roles: [...roles],
  createTime: account.createdAt,
});

export function serviceAccountHandlers(
  useCases: ServiceAccountUseCases,
): Pick<AsyncService<IdentityServiceServer>, ServiceAccountMethods> {
  return {
    createServiceAccount: async (request, ctx) => {
      const created = await useCases.create.run(ctx.requireActor(), request, auditContextOf(ctx));
      return {
        serviceAccount: toProto(created.view),
        clientId: created.view.account.clientId,
        clientSecret: created.clientSecret,
      };
    },
    listServiceAccounts: async (request, ctx) => {
      const page = await useCases.list.run(ctx.requireActor(), {
        pageSize: request.page?.pageSize ?? 0,
        after: decodePageToken('page.page_token', request.page?.pageToken ?? ''),
      });
      return {
        serviceAccounts: page.items.map(toProto),
        page: { nextPageToken: encodePageToken(page.nextAfter) },
      };
    },
    issueServiceToken: async (request, ctx) => {
      const issued = await useCases.issueToken.run(request, auditContextOf(ctx));
      return {
        accessToken: issued.token,
        tokenType: 'Bearer',
        accessTokenExpireTime: issued.expiresAt,
      };
    },
    rotateServiceAccountSecret: async (request, ctx) => {
      const rotated = await useCases.rotateSecret.run(
        ctx.requireActor(),
        request.id,
        auditContextOf(ctx),
      );
      return {
        clientSecret: rotated.clientSecret,
        previousSecretExpireTime: rotated.previousSecretExpiresAt,
      };
    },
    deleteServiceAccount: async (request, ctx) => {
      await useCases.delete.run(ctx.requireActor(), request.id, auditContextOf(ctx));
      return {};
    },
    rotateSigningKey: async (_request, ctx) => ({
      kid: await useCases.rotateSigningKey.run(ctx.requireActor(), auditContextOf(ctx)),
    }),
  };
}
