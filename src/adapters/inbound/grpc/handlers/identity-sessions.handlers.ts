import type { TokenAuthenticator } from '../../../../application/identity/authenticate-token.js';
import type { SessionManager } from '../../../../application/identity/sessions.js';
import type { Session } from '../../../../domain/identity/session.js';
import { InvalidArgumentError, isDomainError } from '../../../../domain/shared/errors.js';
import {
  PrincipalKind,
  type IdentityServiceServer,
  type Session as ProtoSession,
} from '../generated/wemaster/core/v1/identity.js';
import { auditContextOf } from '../mappers/audit-context.mapper.js';
import { decodePageToken, encodePageToken } from '../mappers/page-token.mapper.js';
import type { AsyncService } from '../unary-handler.js';

/** ValidateToken refuses larger input as INVALID_ARGUMENT (the verifier's own limit too). */
const MAX_ACCESS_TOKEN_BYTES = 8 * 1024;

export type SessionMethods =
  'refreshSession' | 'logout' | 'listSessions' | 'revokeSession' | 'validateToken';

export interface SessionUseCases {
  readonly sessions: SessionManager;
  /** The hot-path authenticator: ValidateToken answers exactly what a call would meet. */
  readonly authenticator: TokenAuthenticator;
}

const toProtoSession = (session: Session, currentId: string | undefined): ProtoSession => ({
  id: session.id,
  userId: session.userId,
  userAgent: session.userAgent ?? '',
  ip: session.ip ?? '',
  createTime: session.createdAt,
  lastUsedTime: session.lastUsedAt,
  expireTime: session.absoluteExpiresAt,
  current: session.id === currentId,
});

export function sessionHandlers(
  useCases: SessionUseCases,
): Pick<AsyncService<IdentityServiceServer>, SessionMethods> {
  const { sessions, authenticator } = useCases;
  return {
    refreshSession: async (request, ctx) => {
      const pair = await sessions.refresh(request.refreshToken, auditContextOf(ctx));
      return {
        tokens: {
          accessToken: pair.access.token,
          tokenType: 'Bearer',
          accessTokenExpireTime: pair.access.expiresAt,
          refreshToken: pair.refresh.token,
          refreshTokenExpireTime: pair.refresh.expiresAt,
        },
      };
    },
    logout: async (_request, ctx) => {
      await sessions.logout(ctx.requireActor(), auditContextOf(ctx));
      return {};
    },
    listSessions: async (request, ctx) => {
      const actor = ctx.requireActor();
      const page = await sessions.list(actor, {
        userId: request.userId,
        pageSize: request.page?.pageSize ?? 0,
        after: decodePageToken('page.page_token', request.page?.pageToken ?? ''),
      });
      return {
        sessions: page.items.map((s) => toProtoSession(s, actor.principal.sessionId)),
        page: { nextPageToken: encodePageToken(page.nextAfter) },
      };
    },
    revokeSession: async (request, ctx) => {
      await sessions.revoke(ctx.requireActor(), request.sessionId, auditContextOf(ctx));
      return {};
    },
    // Invalid, expired, revoked, suspended-tenant and disabled-user tokens are a verdict
    // (active = false), not an error.
    validateToken: async (request) => {
      if (request.accessToken.length > MAX_ACCESS_TOKEN_BYTES) {
        throw new InvalidArgumentError('access_token', 'is longer than 8 KiB');
      }
      try {
        const principal = await authenticator.run(request.accessToken);
        return {
          active: true,
          principal: {
            subjectId: principal.subjectId,
            tenantId: principal.tenantId,
            kind:
              principal.kind === 'user'
                ? PrincipalKind.PRINCIPAL_KIND_USER
                : PrincipalKind.PRINCIPAL_KIND_SERVICE,
            roles: [...principal.roles],
            sessionId: principal.sessionId ?? '',
          },
          expireTime: principal.expiresAt,
        };
      } catch (error) {
        if (isDomainError(error) && error.category === 'unauthenticated') {
          return { active: false, principal: undefined, expireTime: undefined };
        }
        throw error;
      }
    },
  };
}
