import { TENANT_SCOPE } from '../../domain/authorization/role.js';
import { parseEmail } from '../../domain/identity/email.js';
import { selfSignUpDisabled } from '../../domain/identity/identity.errors.js';
import type { PasswordHasher } from '../../domain/identity/password-hasher.port.js';
import { checkNewPassword, type PasswordPolicy } from '../../domain/identity/password-policy.js';
import { parseUserDisplayName, type User } from '../../domain/identity/user.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import { InvalidArgumentError } from '../../domain/shared/errors.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { TenantScope, UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import type { Actor } from '../shared/actor.js';

export interface RegisterUserInput {
  /** Self sign-up only: the tenant to join. Authenticated callers leave it empty. */
  readonly tenantSlug: string;
  readonly email: string;
  readonly password: string;
  readonly displayName: string;
}

/** The role every new user gets. */
export const NEW_USER_ROLE = 'member';

/**
 * Adds an active user bound to the `member` role. Authenticated callers (holding users:write,
 * checked before) register into the tenant they act in; anonymous callers sign themselves up
 * to a tenant that is active and allows self sign-up.
 *
 * Failures: INVALID_ARGUMENT (tenant_slug, email, password, display_name), USER_EMAIL_TAKEN,
 * SELF_SIGN_UP_DISABLED (also for unknown tenants).
 */
export class UserRegistrar {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly policy: PasswordPolicy,
  ) {}

  async run(actor: Actor | undefined, input: RegisterUserInput): Promise<User> {
    const { email, normalized } = parseEmail('email', input.email);
    const password = checkNewPassword('password', input.password, this.policy);
    const displayName = parseUserDisplayName('display_name', input.displayName, email);

    let tenantId: string;
    let guard: (scope: TenantScope) => Promise<void>;
    if (actor !== undefined) {
      if (input.tenantSlug !== '') {
        throw new InvalidArgumentError(
          'tenant_slug',
          'is for self sign-up only; authenticated callers register into the tenant they act in',
        );
      }
      tenantId = actor.tenantId;
      guard = () => Promise.resolve();
    } else {
      tenantId = await this.selfSignUpTenant(input.tenantSlug);
      // Checked again where the user is written, in case the tenant changed meanwhile.
      guard = (scope) => this.assertSelfSignUpOpen(scope, tenantId);
      await this.uow.inTenant(tenantId, guard);
    }

    // The expensive hash runs outside any unit of work: no connection is held while it runs.
    const passwordHash = await this.hasher.hash(password);
    return this.uow.inTenant(tenantId, async (scope) => {
      await guard(scope);
      const role = await scope.roles.findRoleByName(NEW_USER_ROLE);
      if (role === undefined) throw new Error(`tenant ${tenantId} has no ${NEW_USER_ROLE} role`);
      const now = this.clock.now();
      const user: User = {
        tenantId,
        id: this.ids.newId(),
        email,
        emailNormalized: normalized,
        displayName,
        passwordHash,
        status: 'active',
        createdAt: now,
        lastLoginAt: undefined,
      };
      await scope.users.insert(user);
      await scope.roles.insertBinding({
        tenantId,
        id: this.ids.newId(),
        subjectId: user.id,
        subjectKind: 'user',
        roleId: role.id,
        scope: TENANT_SCOPE,
        expiresAt: undefined,
        createdAt: now,
      });
      return user;
    });
  }

  private async selfSignUpTenant(rawSlug: string): Promise<string> {
    if (rawSlug === '') throw new InvalidArgumentError('tenant_slug', 'is required for sign-up');
    const slug = parseTenantSlug('tenant_slug', rawSlug);
    const ref = await this.directory.bySlug(slug);
    if (ref?.status !== 'active') throw selfSignUpDisabled();
    return ref.id;
  }

  private async assertSelfSignUpOpen(scope: TenantScope, tenantId: string): Promise<void> {
    const tenant = await scope.tenants.findById(tenantId);
    if (tenant?.status !== 'active' || !tenant.selfSignUpEnabled) throw selfSignUpDisabled();
  }
}
