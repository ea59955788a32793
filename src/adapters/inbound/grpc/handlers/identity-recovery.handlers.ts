import type { PasswordChanger } from '../../../../application/identity/change-password.js';
import type { EmailVerificationRequester } from '../../../../application/identity/request-email-verification.js';
import type { PasswordResetRequester } from '../../../../application/identity/request-password-reset.js';
import type { PasswordResetter } from '../../../../application/identity/reset-password.js';
import type { EmailVerifier } from '../../../../application/identity/verify-email.js';
import type { IdentityServiceServer } from '../generated/wemaster/core/v1/identity.js';
import { auditContextOf } from '../mappers/audit-context.mapper.js';
import type { AsyncService } from '../unary-handler.js';

export type RecoveryMethods =
  | 'changePassword'
  | 'requestPasswordReset'
  | 'resetPassword'
  | 'requestEmailVerification'
  | 'verifyEmail';

export interface RecoveryUseCases {
  readonly changePassword: PasswordChanger;
  readonly requestPasswordReset: PasswordResetRequester;
  readonly resetPassword: PasswordResetter;
  readonly requestEmailVerification: EmailVerificationRequester;
  readonly verifyEmail: EmailVerifier;
}

export function recoveryHandlers(
  useCases: RecoveryUseCases,
): Pick<AsyncService<IdentityServiceServer>, RecoveryMethods> {
  return {
    changePassword: async (request, ctx) => {
      await useCases.changePassword.run(ctx.requireActor(), request, auditContextOf(ctx));
      return {};
    },
    requestPasswordReset: async (request, ctx) => {
      await useCases.requestPasswordReset.run(request, auditContextOf(ctx));
      return {};
    },
    resetPassword: async (request, ctx) => {
      await useCases.resetPassword.run(request, auditContextOf(ctx));
      return {};
    },
    requestEmailVerification: async (_request, ctx) => {
      await useCases.requestEmailVerification.run(ctx.requireActor());
      return {};
    },
    verifyEmail: async (request) => {
      await useCases.verifyEmail.run(request);
      return {};
    },
  };
}
