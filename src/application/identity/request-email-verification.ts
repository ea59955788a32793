import type { OneTimeSecrets } from '../../domain/identity/one-time-secrets.port.js';
import { userNotFound } from '../../domain/identity/identity.errors.js';
import type { RecoveryThrottle } from '../../domain/identity/recovery-throttle.port.js';
import type { RecoveryUnitOfWork } from '../../domain/identity/recovery-unit-of-work.port.js';
import { formatUserToken } from '../../domain/identity/user-token.js';
import { isUserActive } from '../../domain/identity/user.js';
import { emailVerificationMail } from '../../domain/notification/notification.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { Actor } from '../shared/actor.js';

/**
 * Mails the calling user (in their home tenant) a single-use token proving they own their
 * email address; a new token supersedes unused ones. Already verified: nothing is sent.
 *
 * Capped per user (every request counts, sent or not): TOO_MANY_REQUESTS (RESOURCE_EXHAUSTED,
 * with the retry delay) beyond it, so nobody can make the service mail-bomb their own inbox.
 *
 * Failures: USER_NOT_FOUND (service principals), TOO_MANY_REQUESTS.
 */
export class EmailVerificationRequester {
  constructor(
    private readonly uow: RecoveryUnitOfWork,
    private readonly secrets: OneTimeSecrets,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly ttlMs: number,
    private readonly throttle?: RecoveryThrottle,
    /** The web app's public address: the mail then links to `/verify-email?token=...`. */
    private readonly appBaseUrl?: string,
  ) {}

  async run(actor: Actor): Promise<void> {
    const { principal } = actor;
    if (principal.kind !== 'user') throw userNotFound();
    await this.throttle?.consume({
      tenantSlug: principal.tenantId,
      email: principal.subjectId.toLowerCase(),
      ip: undefined,
    });
    const secret = this.secrets.newSecret();
    const tokenHash = this.secrets.hash(secret);
    await this.uow.inTenant(principal.tenantId, async (scope) => {
      const user = await scope.users.findById(principal.subjectId);
      if (user === undefined || !isUserActive(user)) throw userNotFound();
      if (user.emailVerifiedAt !== undefined) return;
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + this.ttlMs);
      await scope.tokens.supersede(user.id, 'email_verification', now);
      await scope.tokens.insert({
        tenantId: principal.tenantId,
        id: this.ids.newId(),
        userId: user.id,
        purpose: 'email_verification',
        tokenHash,
        expiresAt,
        usedAt: undefined,
        createdAt: now,
      });
      await scope.notifier.notify(
        emailVerificationMail(
          user.email,
          formatUserToken(principal.tenantId, secret),
          expiresAt,
          this.appBaseUrl,
        ),
      );
    });
  }
}
