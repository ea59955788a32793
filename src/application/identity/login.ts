import type {
  AccessTokenIssuer,
  IssuedAccessToken,
} from '../../domain/identity/access-token.port.js';
import { parseEmail } from '../../domain/identity/email.js';
import { invalidCredentials } from '../../domain/identity/identity.errors.js';
import type { PasswordHasher } from '../../domain/identity/password-hasher.port.js';
import { checkPresentedPassword } from '../../domain/identity/password-policy.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';

export interface LoginInput {
  readonly tenantSlug: string;
  readonly email: string;
  readonly password: string;
}

/**
 * Password login. Unknown tenant, suspended tenant, unknown email, disabled user and wrong
 * password all end in the same error after the same amount of hashing work.
 */
export class PasswordLogin {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokenIssuer,
    private readonly clock: Clock,
  ) {}

  async run(input: LoginInput): Promise<IssuedAccessToken> {
    const slug = parseTenantSlug('tenant_slug', input.tenantSlug);
    const { normalized } = parseEmail('email', input.email);
    const password = checkPresentedPassword('password', input.password);

    const tenant = await this.directory.bySlug(slug);
    if (tenant === undefined || !isTenantUsable(tenant.status)) {
      await this.hasher.verifyDummy(password);
      throw invalidCredentials();
    }
    // Hashing happens between two short units of work, never while holding a connection.
    const user = await this.uow.inTenant(tenant.id, (scope) => scope.users.findByEmail(normalized));
    if (user === undefined) {
      await this.hasher.verifyDummy(password);
      throw invalidCredentials();
    }
    const ok = await this.hasher.verify(user.passwordHash, password);
    if (!ok || user.status !== 'active') throw invalidCredentials();
    const rehashed = this.hasher.needsRehash(user.passwordHash)
      ? await this.hasher.hash(password)
      : undefined;
    const roles = await this.uow.inTenant(tenant.id, async (scope) => {
      await scope.users.recordLogin(user.id, this.clock.now(), rehashed);
      return scope.roles.roleNamesOf(user.id);
    });
    return this.tokens.issue({
      subjectId: user.id,
      tenantId: tenant.id,
      kind: 'user',
      roles,
      sessionId: undefined,
      amr: ['pwd'],
    });
  }
}
