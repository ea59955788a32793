import type { OneTimeSecrets } from '../../domain/identity/one-time-secrets.port.js';
import type { RecoveryUnitOfWork } from '../../domain/identity/recovery-unit-of-work.port.js';
import {
  invalidOrExpiredToken,
  isUserTokenUsable,
  parseUserToken,
} from '../../domain/identity/user-token.js';
import type { Clock } from '../../domain/shared/clock.port.js';

/**
 * Marks the email of the token's user verified, using the token once.
 *
 * Failures: INVALID_ARGUMENT (token), INVALID_OR_EXPIRED_TOKEN.
 */
export class EmailVerifier {
  constructor(
    private readonly uow: RecoveryUnitOfWork,
    private readonly secrets: OneTimeSecrets,
    private readonly clock: Clock,
  ) {}

  async run(input: { readonly token: string }): Promise<void> {
    const presented = parseUserToken('token', input.token);
    const tokenHash = this.secrets.hash(presented.secret);
    await this.uow.inTenant(presented.tenantId, async (scope) => {
      const now = this.clock.now();
      const token = await scope.tokens.findByHash(tokenHash, 'email_verification');
      if (token === undefined || !isUserTokenUsable(token, now)) throw invalidOrExpiredToken();
      const user = await scope.users.findByIdForUpdate(token.userId);
      if (user === undefined) throw invalidOrExpiredToken();
      if (!(await scope.tokens.markUsed(token.id, now))) throw invalidOrExpiredToken();
      await scope.users.update({ ...user, emailVerifiedAt: user.emailVerifiedAt ?? now });
    });
  }
}
