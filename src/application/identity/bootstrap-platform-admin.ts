import { TENANT_SCOPE } from '../../domain/authorization/role.js';
import type { PasswordHasher } from '../../domain/identity/password-hasher.port.js';
import { parseEmail } from '../../domain/identity/email.js';
import { checkNewPassword, type PasswordPolicy } from '../../domain/identity/password-policy.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { isDomainError } from '../../domain/shared/errors.js';
import { systemRolesFor } from '../../domain/authorization/system-roles.js';

export interface PlatformAdminCredentials {
  readonly email: string;
  readonly password: string;
}

/**
 * Makes sure the platform tenant has its system roles and the first operator, bound to
 * `owner`. Idempotent: an existing user with that email is left as it is.
 */
export class PlatformAdminBootstrap {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly policy: PasswordPolicy,
  ) {}

  /**
   * Returns true when the administrator was created by this call. Replicas starting together
   * may race: the loser's transaction conflicts, rolls back, and reports false.
   */
  async run(credentials: PlatformAdminCredentials): Promise<boolean> {
    const { email, normalized } = parseEmail('WEMASTER_ADMIN_EMAIL', credentials.email);
    const password = checkNewPassword('WEMASTER_ADMIN_PASSWORD', credentials.password, this.policy);
    const exists = await this.uow.inTenant(PLATFORM_TENANT_ID, async (scope) => {
      return (await scope.users.findByEmail(normalized)) !== undefined;
    });
    if (exists) return false;
    const passwordHash = await this.hasher.hash(password);
    try {
      await this.uow.inTenant(PLATFORM_TENANT_ID, async (scope) => {
        const now = this.clock.now();
        if ((await scope.roles.listRoles()).length === 0) {
          await scope.roles.insertRoles(
            systemRolesFor(PLATFORM_TENANT_ID, () => this.ids.newId(), now),
          );
        }
        const owner = await scope.roles.findRoleByName('owner');
        if (owner === undefined) throw new Error('platform tenant has no owner role');
        const userId = this.ids.newId();
        await scope.users.insert({
          tenantId: PLATFORM_TENANT_ID,
          id: userId,
          email,
          emailNormalized: normalized,
          displayName: 'Platform administrator',
          passwordHash,
          status: 'active',
          createdAt: now,
          lastLoginAt: undefined,
        });
        await scope.roles.insertBinding({
          tenantId: PLATFORM_TENANT_ID,
          id: this.ids.newId(),
          subjectId: userId,
          subjectKind: 'user',
          roleId: owner.id,
          scope: TENANT_SCOPE,
          expiresAt: undefined,
          createdAt: now,
        });
      });
      return true;
    } catch (error) {
      if (isDomainError(error) && error.category === 'already_exists') return false;
      throw error;
    }
  }
}
