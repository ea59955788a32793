import { TENANT_SCOPE } from '../../domain/authorization/role.js';
import type { AuditEvent } from '../../domain/audit/audit-event.js';
import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import { permissionDenied } from '../../domain/authorization/authorization.errors.js';
import { systemRolePermissions } from '../../domain/authorization/system-roles.js';
import type {
  AccessTokenIssuer,
  IssuedAccessToken,
} from '../../domain/identity/access-token.port.js';
import type { ClientSecrets } from '../../domain/identity/client-secrets.port.js';
import type { LoginAttempt, LoginThrottle } from '../../domain/identity/login-throttle.port.js';
import {
  invalidClient,
  parseServiceAccountDescription,
  parseServiceAccountName,
  secretDigestMatches,
  serviceAccountNotFound,
  tenantOfClientId,
  type ServiceAccount,
  type ServiceAccountView,
} from '../../domain/identity/service-account.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import { InvalidArgumentError, isDomainError } from '../../domain/shared/errors.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import { pageQuery, type Page } from '../../domain/shared/page.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import type { Actor } from '../shared/actor.js';
import { actingFrom, auditActorOf, type AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';

const MAX_CLIENT_CREDENTIAL_LENGTH = 256;

/**
 * System roles in order of power. A caller grants roles up to its own highest one: a tenant
 * admin may create admin and member accounts, never owner ones. A platform operator acting in
 * another tenant is ranked by its platform roles (a platform admin cannot mint tenant owners).
 */
const ROLE_RANK: Readonly<Record<string, number>> = { member: 1, admin: 2, owner: 3 };

/** Shared by the service-account use cases: one audit entry about one account. */
function auditEntry(
  ids: IdGenerator,
  clock: Clock,
  actor: Actor,
  context: AuditContext,
  action: string,
  accountId: string,
  details: Record<string, string> = {},
): AuditEvent {
  return {
    tenantId: actor.tenantId,
    id: ids.newId(),
    occurredAt: clock.now(),
    actor: auditActorOf(actor, context),
    action,
    target: { type: 'service_account', id: accountId },
    outcome: 'success',
    details: { ...actingFrom(actor, actor.tenantId), ...details },
  };
}

export interface CreateServiceAccountInput {
  readonly name: string;
  readonly description: string;
  readonly roles: readonly string[];
}

export interface CreatedServiceAccount {
  readonly view: ServiceAccountView;
  /** Shown once; only its digest is stored. */
  readonly clientSecret: string;
}

/**
 * Creates a service account of the acting tenant bound to system roles. Nobody grants a role
 * above their own (see `ROLE_RANK`; a tenant admin cannot create an owner account):
 * PERMISSION_DENIED otherwise.
 *
 * Failures: INVALID_ARGUMENT (name, description, roles), PERMISSION_DENIED,
 * SERVICE_ACCOUNT_NAME_TAKEN.
 */
export class ServiceAccountCreator {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly secrets: ClientSecrets,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(
    actor: Actor,
    input: CreateServiceAccountInput,
    context: AuditContext = {},
  ): Promise<CreatedServiceAccount> {
    const name = parseServiceAccountName('name', input.name);
    const description = parseServiceAccountDescription('description', input.description);
    const roles = [...new Set(input.roles)].sort();
    if (roles.length === 0)
      throw new InvalidArgumentError('roles', 'at least one role is required');
    const tenantId = actor.tenantId;
    // The caller's roles as bound now, in its own tenant (not the token's claim, which may be
    // minutes old: a demoted owner must not mint owner accounts until the token expires).
    const { principal } = actor;
    const held = await this.uow.inTenant(principal.tenantId, (scope) =>
      scope.roles.roleNamesOf(principal.subjectId),
    );
    const callerRank = Math.max(0, ...held.map((r) => ROLE_RANK[r] ?? 0));
    for (const role of roles) {
      const rank = ROLE_RANK[role];
      if (rank === undefined || systemRolePermissions(tenantId, role) === undefined) {
        throw new InvalidArgumentError('roles', `"${role.slice(0, 50)}" is not a system role`);
      }
      if (rank > callerRank) throw permissionDenied(`roles:grant-${role}`);
    }

    const clientSecret = this.secrets.newSecret();
    const now = this.clock.now();
    const account: ServiceAccount = {
      tenantId,
      id: this.ids.newId(),
      name,
      description,
      clientId: this.secrets.newClientId(tenantId),
      secretHash: this.secrets.digest(clientSecret),
      previousSecretHash: undefined,
      previousSecretExpiresAt: undefined,
      createdAt: now,
      deletedAt: undefined,
    };
    await inOneTransaction(this.transactions, tenantId, async () => {
      await this.uow.inTenant(tenantId, async (scope) => {
        await scope.serviceAccounts.insert(account);
        for (const roleName of roles) {
          const role = await scope.roles.findRoleByName(roleName);
          if (role === undefined) throw new Error(`tenant ${tenantId} has no ${roleName} role`);
          await scope.roles.insertBinding({
            tenantId,
            id: this.ids.newId(),
            subjectId: account.id,
            subjectKind: 'service',
            roleId: role.id,
            scope: TENANT_SCOPE,
            expiresAt: undefined,
            createdAt: now,
          });
        }
      });
      await this.audit.append([
        auditEntry(this.ids, this.clock, actor, context, 'service_account.created', account.id, {
          roles: roles.join(','),
        }),
      ]);
    });
    return { view: { account, roles }, clientSecret };
  }
}

export interface ListServiceAccountsInput {
  readonly pageSize: number;
  /** The decoded page token: the last id of the previous page. */
  readonly after: string | undefined;
}

/** The acting tenant's live service accounts, oldest first (ids are time-ordered). */
export class ServiceAccountLister {
  constructor(private readonly uow: UnitOfWork) {}

  run(actor: Actor, input: ListServiceAccountsInput): Promise<Page<ServiceAccountView>> {
    const after = input.after === undefined ? undefined : parseUuid('page.page_token', input.after);
    const query = pageQuery('page', input.pageSize, after);
    return this.uow.inTenant(actor.tenantId, (scope) => scope.serviceAccounts.list(query));
  }
}

export interface IssueServiceTokenInput {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The client-credentials grant. Unknown client, wrong secret, deleted account and unusable
 * tenant all end in the same INVALID_CLIENT. Attempts are throttled through the login
 * throttle, keyed by (tenant id, client id) and by source ip, and audited in the tenant the
 * client id names (the platform tenant's log when it names none).
 */
export class ServiceTokenIssuer {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly uow: UnitOfWork,
    private readonly secrets: ClientSecrets,
    private readonly tokens: AccessTokenIssuer,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditLog,
    private readonly ids: IdGenerator,
  ) {}

  async run(input: IssueServiceTokenInput, context: AuditContext = {}): Promise<IssuedAccessToken> {
    const clientId = input.clientId.slice(0, MAX_CLIENT_CREDENTIAL_LENGTH);
    if (input.clientId === '') throw new InvalidArgumentError('client_id', 'is required');
    if (input.clientSecret === '') throw new InvalidArgumentError('client_secret', 'is required');
    const named = tenantOfClientId(clientId);
    const tenant = named === undefined ? undefined : await this.directory.byId(named);
    // Attempts are audited in the tenant the client id names, when it exists.
    const tenantId = tenant?.id;
    const auditTenantId = tenantId ?? PLATFORM_TENANT_ID;
    const usable = tenant !== undefined && isTenantUsable(tenant.status);
    // The throttle's keys are opaque: the tenant id stands in for the slug, the client id for
    // the email.
    const attempt: LoginAttempt = {
      tenantSlug: named ?? 'unknown',
      email: clientId,
      ip: context.ip,
    };
    try {
      await this.throttle.check(attempt);
    } catch (error) {
      if (isDomainError(error) && error.category === 'resource_exhausted') {
        await this.record(auditTenantId, undefined, clientId, context, 'denied', 'throttled');
      }
      throw error;
    }

    const account =
      usable && tenantId !== undefined
        ? await this.uow.inTenant(tenantId, (scope) =>
            scope.serviceAccounts.findByClientId(clientId),
          )
        : undefined;
    const secret = input.clientSecret.slice(0, MAX_CLIENT_CREDENTIAL_LENGTH);
    const ok =
      account !== undefined &&
      secretDigestMatches(
        account,
        (digest) => this.secrets.matches(digest, secret),
        this.clock.now(),
      );
    if (account === undefined || !ok || tenantId === undefined) {
      await this.throttle.recordFailure(attempt);
      const reason = account === undefined ? 'unknown_client' : 'wrong_secret';
      await this.record(auditTenantId, account?.id, clientId, context, 'failure', reason);
      throw invalidClient();
    }
    const roles = await this.uow.inTenant(tenantId, (scope) => scope.roles.roleNamesOf(account.id));
    await this.throttle.recordSuccess(attempt);
    await this.record(tenantId, account.id, clientId, context, 'success', undefined);
    return this.tokens.issue({
      subjectId: account.id,
      tenantId,
      kind: 'service',
      roles,
      sessionId: undefined,
      amr: [],
    });
  }

  private record(
    tenantId: string,
    accountId: string | undefined,
    clientId: string,
    context: AuditContext,
    outcome: AuditEvent['outcome'],
    reason: string | undefined,
  ): Promise<void> {
    const success = outcome === 'success';
    return this.audit.append([
      {
        tenantId,
        id: this.ids.newId(),
        occurredAt: this.clock.now(),
        actor: {
          subjectId: success ? accountId : undefined,
          kind: success ? 'service' : 'anonymous',
          ip: context.ip,
          requestId: context.requestId,
        },
        action: success ? 'auth.service_token.issued' : 'auth.service_token.failed',
        target: accountId === undefined ? undefined : { type: 'service_account', id: accountId },
        outcome,
        details: reason === undefined ? { clientId } : { clientId: clientId.slice(0, 120), reason },
      },
    ]);
  }
}

export interface RotatedSecret {
  readonly clientSecret: string;
  readonly previousSecretExpiresAt: Date;
}

/**
 * A new secret for a service account of the acting tenant; the previous one keeps working for
 * the configured overlap (a secret rotated twice in a row keeps only the latest previous one).
 */
export class ServiceAccountSecretRotator {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly secrets: ClientSecrets,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    private readonly overlapSeconds: number,
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(actor: Actor, rawId: string, context: AuditContext = {}): Promise<RotatedSecret> {
    const id = parseUuid('id', rawId);
    const clientSecret = this.secrets.newSecret();
    const digest = this.secrets.digest(clientSecret);
    const previousSecretExpiresAt = new Date(
      this.clock.now().getTime() + this.overlapSeconds * 1000,
    );
    await inOneTransaction(this.transactions, actor.tenantId, async () => {
      await this.uow.inTenant(actor.tenantId, async (scope) => {
        const account = await scope.serviceAccounts.findById(id);
        if (account === undefined) throw serviceAccountNotFound();
        await scope.serviceAccounts.updateSecret(
          id,
          digest,
          account.secretHash,
          previousSecretExpiresAt,
        );
      });
      await this.audit.append([
        auditEntry(this.ids, this.clock, actor, context, 'service_account.secret_rotated', id),
      ]);
    });
    return { clientSecret, previousSecretExpiresAt };
  }
}

/**
 * Soft-deletes a service account of the acting tenant: no new token is issued for it. Access
 * tokens it already holds stay valid until they expire (at most ACCESS_TOKEN_TTL_SECONDS):
 * session revocation covers user sessions only, and service tokens carry no session.
 */
export class ServiceAccountDeleter {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(actor: Actor, rawId: string, context: AuditContext = {}): Promise<void> {
    const id = parseUuid('id', rawId);
    await inOneTransaction(this.transactions, actor.tenantId, async () => {
      const deleted = await this.uow.inTenant(actor.tenantId, (scope) =>
        scope.serviceAccounts.markDeleted(id, this.clock.now()),
      );
      if (!deleted) throw serviceAccountNotFound();
      await this.audit.append([
        auditEntry(this.ids, this.clock, actor, context, 'service_account.deleted', id),
      ]);
    });
  }
}

/** What rotates signing keys (the token service). */
export interface SigningKeyRotation {
  /**
   * Writes a new key and retires the others inside the caller's transaction; the new key is
   * taken up once that transaction has ended, never if it rolled back. Returns its kid.
   */
  rotate(): Promise<string>;
}

/**
 * Platform operation: a new signing key, committed with its `auth.signing_key.rotated` event.
 * A rotation that cannot be recorded does not happen.
 */
export class SigningKeyRotator {
  constructor(
    private readonly keys: SigningKeyRotation,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(actor: Actor, context: AuditContext = {}): Promise<string> {
    const tenantId = actor.principal.tenantId;
    return inOneTransaction(this.transactions, tenantId, async () => {
      const added = await this.keys.rotate();
      await this.audit.append([
        {
          tenantId,
          id: this.ids.newId(),
          occurredAt: this.clock.now(),
          actor: auditActorOf(actor, context),
          action: 'auth.signing_key.rotated',
          target: { type: 'signing_key', id: added },
          outcome: 'success',
          details: {},
        },
      ]);
      return added;
    });
  }
}
