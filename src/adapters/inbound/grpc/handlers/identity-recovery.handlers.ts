import type { IdentityServiceServer } from '../generated/wemaster/core/v1/identity.js';
import type { AsyncService } from '../unary-handler.js';
import { notImplemented } from './not-implemented.js';

export type RecoveryMethods =
  | 'changePassword'
  | 'requestPasswordReset'
  | 'resetPassword'
  | 'requestEmailVerification'
  | 'verifyEmail';

export function recoveryHandlers(): Pick<AsyncService<IdentityServiceServer>, RecoveryMethods> {
  return {
    changePassword: () => notImplemented('ChangePassword'),
    requestPasswordReset: () => notImplemented('RequestPasswordReset'),
    resetPassword: () => notImplemented('ResetPassword'),
    requestEmailVerification: () => notImplemented('RequestEmailVerification'),
    verifyEmail: () => notImplemented('VerifyEmail'),
  };
}
