import type { UserDisabler } from '../../../../application/identity/disable-user.js';
import type { CurrentUserReader } from '../../../../application/identity/get-current-user.js';
import type { UserFinder } from '../../../../application/identity/get-user.js';
import type { UserLister } from '../../../../application/identity/list-users.js';
import type { PasswordLogin } from '../../../../application/identity/login.js';
import type { JwksPublisher } from '../../../../application/identity/publish-jwks.js';
import type { UserRegistrar } from '../../../../application/identity/register-user.js';
import type { IdentityServiceServer } from '../generated/wemaster/core/v1/identity.js';
import { auditContextOf } from '../mappers/audit-context.mapper.js';
import { decodePageToken, encodePageToken } from '../mappers/page-token.mapper.js';
import { toProtoUser } from '../mappers/user.mapper.js';
import type { AsyncService } from '../unary-handler.js';

export interface IdentityUseCases {
  readonly login: PasswordLogin;
  readonly jwks: JwksPublisher;
  readonly register: UserRegistrar;
  readonly currentUser: CurrentUserReader;
  readonly findUser: UserFinder;
  readonly listUsers: UserLister;
  readonly disableUser: UserDisabler;
}

/** Identity methods served by this module; sessions, recovery and service accounts have theirs. */
export type CoreIdentityMethods =
  'login' | 'getJwks' | 'registerUser' | 'getCurrentUser' | 'getUser' | 'listUsers' | 'disableUser';

export function identityHandlers(
  useCases: IdentityUseCases,
): Pick<AsyncService<IdentityServiceServer>, CoreIdentityMethods> {
  return {
    login: async (request, ctx) => {
      const issued = await useCases.login.run(request, {
        ...auditContextOf(ctx),
        userAgent: ctx.header('user-agent'),
      });
      return {
        result: {
          $case: 'tokens',
          value: {
            accessToken: issued.token,
            tokenType: 'Bearer',
            accessTokenExpireTime: issued.expiresAt,
            refreshToken: issued.refresh?.token ?? '',
            refreshTokenExpireTime: issued.refresh?.expiresAt,
          },
        },
      };
    },
    // Anonymous callers reach this with no actor (self sign-up); the others hold users:write.
    registerUser: async (request, ctx) => ({
      user: toProtoUser(await useCases.register.run(ctx.actor, request)),
    }),
    getCurrentUser: async (_request, ctx) => ({
      user: toProtoUser(await useCases.currentUser.run(ctx.requireActor())),
    }),
    getUser: async (request, ctx) => ({
      user: toProtoUser(await useCases.findUser.run(ctx.requireActor(), request.id)),
    }),
    listUsers: async (request, ctx) => {
      const page = await useCases.listUsers.run(ctx.requireActor(), {
        pageSize: request.page?.pageSize ?? 0,
        after: decodePageToken('page.page_token', request.page?.pageToken ?? ''),
      });
      return {
        users: page.items.map(toProtoUser),
        page: { nextPageToken: encodePageToken(page.nextAfter) },
      };
    },
    disableUser: async (request, ctx) => ({
      user: toProtoUser(
        await useCases.disableUser.run(ctx.requireActor(), request.id, auditContextOf(ctx)),
      ),
    }),
    getJwks: async () => ({ keysJson: await useCases.jwks.run() }),
  };
}
