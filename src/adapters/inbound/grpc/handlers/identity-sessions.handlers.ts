import type { IdentityServiceServer } from '../generated/wemaster/core/v1/identity.js';
import type { AsyncService } from '../unary-handler.js';
import { notImplemented } from './not-implemented.js';

export type SessionMethods =
  'refreshSession' | 'logout' | 'listSessions' | 'revokeSession' | 'validateToken';

export function sessionHandlers(): Pick<AsyncService<IdentityServiceServer>, SessionMethods> {
  return {
    refreshSession: () => notImplemented('RefreshSession'),
    logout: () => notImplemented('Logout'),
    listSessions: () => notImplemented('ListSessions'),
    revokeSession: () => notImplemented('RevokeSession'),
    validateToken: () => notImplemented('ValidateToken'),
  };
}
