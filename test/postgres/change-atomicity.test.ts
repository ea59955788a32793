import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/adapters/outbound/crypto/system-clock.js';
import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import { InProcessTenantChanges } from '../../src/adapters/outbound/memory/in-process-tenant-changes.js';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import { PgJoinedTransactions } from '../../src/adapters/outbound/postgres/pg-joined-transactions.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import type { Actor } from '../../src/application/shared/actor.js';
import { ServiceAccountDeleter } from '../../src/application/identity/service-accounts.js';
import { TenantStatusChanger } from '../../src/application/tenancy/change-tenant-status.js';
import { TenantUpdater } from '../../src/application/tenancy/update-tenant.js';
import type { AuditLog } from '../../src/domain/audit/audit-log.port.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aServiceAccount, SERVICE_ACCOUNT_ID } from '../mothers/service-account.mother.js';
import { aTenant, TENANT_A_ID } from '../mothers/tenant.mother.js';
import { RandomOneTimeSecrets } from '../../src/adapters/outbound/crypto/random-one-time-secrets.js';
import { PgRecoveryUnitOfWork } from '../../src/adapters/outbound/postgres/pg-recovery-unit-of-work.js';
import { PasswordResetter } from '../../src/application/identity/reset-password.js';
import { PasswordResetRequester } from '../../src/application/identity/request-password-reset.js';
import { PgTenantDirectory } from '../../src/adapters/outbound/postgres/pg-tenant-directory.js';
import { UserDisabler } from '../../src/application/identity/disable-user.js';
import type { PasswordHasher } from '../../src/domain/identity/password-hasher.port.js';
import { DEFAULT_PASSWORD_POLICY } from '../../src/domain/identity/password-policy.js';
import { formatUserToken } from '../../src/domain/identity/user-token.js';
import { aUser, USER_ID } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { randomBytes } from 'node:crypto';
import { AesGcmSecretBox } from '../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { JoseTokenService } from '../../src/adapters/outbound/crypto/jose-token-service.js';
import { PgSigningKeyRepository } from '../../src/adapters/outbound/postgres/pg-signing-key.repository.js';
import { SigningKeyRotator } from '../../src/application/identity/service-accounts.js';
import type { AccessTokenClaims } from '../../src/domain/identity/access-token.port.js';
import { auditThatRefuses, auditFailingAtCommit, eventsOf } from '../support/audit-logs.js';
import { deferred } from '../support/deferred.js';
import { untilSomeoneWaitsForALock } from '../support/lock-waits.js';

// A change and its audit event are one transaction, with or without an idempotency
// key: a change that could not be recorded is not made, and an unkeyed call commits once.

let database: TestDatabase;
let uow: PgUnitOfWork;
let audit: PgAuditLog;

const ADMIN: Actor = {
  principal: {
    subjectId: '01a00000-0000-7000-8000-0000000000ad',
    tenantId: TENANT_A_ID,
    kind: 'user',
    roles: ['admin'],
    sessionId: undefined,
    expiresAt: new Date(Date.now() + 60_000),
  },
  tenantId: TENANT_A_ID,
};

const noAnnouncements = new InProcessTenantChanges();

const joinedTransactions = () =>
  new PgJoinedTransactions(new PgRequestTransactions(database.appKnex));

/** What both tenant use cases are made of, with the audit log under test. */
const tenantChangeParts = (log: AuditLog) =>
  [
    uow,
    new SystemClock(),
    noAnnouncements,
    log,
    new RandomIdGenerator(),
    joinedTransactions(),
  ] as const;

const updater = (log: AuditLog) => new TenantUpdater(...tenantChangeParts(log));
const statusChanger = (log: AuditLog) => new TenantStatusChanger(...tenantChangeParts(log));

const stored = () => uow.inTenant(TENANT_A_ID, ({ tenants }) => tenants.findById(TENANT_A_ID));

const tenantEvents = (action: string): Promise<number> => eventsOf(audit, TENANT_A_ID, action);

beforeAll(async () => {
  database = await createTestDatabase();
  uow = new PgUnitOfWork(database.appKnex);
  audit = new PgAuditLog(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
  await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
    serviceAccounts.insert(aServiceAccount()),
  );
});

afterAll(async () => {
  await database.drop();
});

describe('a tenant change commits with its audit event or not at all', () => {
  it('UpdateTenant whose event cannot be written leaves the tenant as it was', async () => {
    const before = await stored();
    await expect(
      updater(auditThatRefuses).run(ADMIN, { id: TENANT_A_ID, displayName: 'Never Saved' }),
    ).rejects.toThrow('audit log unavailable');
    expect((await stored())?.displayName).toBe(before?.displayName);
  });

  it('UpdateTenant whose event fails while being written at commit leaves the tenant as it was', async () => {
    // The real log queues the event and writes it right before the commit: fail it there.
    const failsAtCommit = auditFailingAtCommit(database.appKnex);
    const before = await stored();
    await expect(
      updater(failsAtCommit).run(ADMIN, { id: TENANT_A_ID, displayName: 'Never Saved Either' }),
    ).rejects.toThrow('chain hash failed');
    expect((await stored())?.displayName).toBe(before?.displayName);
  });

  it('UpdateTenant writes the change and its event together', async () => {
    const events = await tenantEvents('tenant.updated');
    const updated = await updater(audit).run(ADMIN, { id: TENANT_A_ID, displayName: 'Acme 2' });
    expect(updated.displayName).toBe('Acme 2');
    expect((await stored())?.displayName).toBe('Acme 2');
    expect(await tenantEvents('tenant.updated')).toBe(events + 1);
  });

  it('SuspendTenant whose event cannot be written leaves the tenant active', async () => {
    await expect(statusChanger(auditThatRefuses).suspend(ADMIN, TENANT_A_ID)).rejects.toThrow(
      'audit log unavailable',
    );
    expect((await stored())?.status).toBe('active');
    await statusChanger(audit).suspend(ADMIN, TENANT_A_ID);
    expect((await stored())?.status).toBe('suspended');
    expect(await tenantEvents('tenant.suspended')).toBe(1);
  });
});

describe('a service account change commits with its audit event or not at all', () => {
  it('DeleteServiceAccount whose event cannot be written leaves the account live', async () => {
    const deleter = (log: AuditLog) =>
      new ServiceAccountDeleter(
        uow,
        new SystemClock(),
        new RandomIdGenerator(),
        log,
        joinedTransactions(),
      );
    const live = () =>
      uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
        serviceAccounts.findById(SERVICE_ACCOUNT_ID),
      );
    await expect(deleter(auditThatRefuses).run(ADMIN, SERVICE_ACCOUNT_ID)).rejects.toThrow(
      'audit log unavailable',
    );
    expect(await live()).toBeDefined();
    await deleter(audit).run(ADMIN, SERVICE_ACCOUNT_ID);
    expect(await live()).toBeUndefined();
    expect(await tenantEvents('service_account.deleted')).toBe(1);
  });
});

describe('a password reset commits with its audit event or not at all', () => {
  it('ResetPassword whose event cannot be written leaves the password and the token unused', async () => {
    const secrets = new RandomOneTimeSecrets();
    const recovery = new PgRecoveryUnitOfWork(database.appKnex, new RandomIdGenerator());
    const hasher: PasswordHasher = {
      hash: (password) => Promise.resolve(`hash:${password}`),
      verify: (hash, password) => Promise.resolve(hash === `hash:${password}`),
      needsRehash: () => false,
      verifyDummy: () => Promise.resolve(),
    };
    await uow.inTenant(TENANT_A_ID, ({ users }) =>
      users.insert(aUser({ passwordHash: 'hash:before' })),
    );
    const secret = secrets.newSecret();
    await recovery.inTenant(TENANT_A_ID, (scope) =>
      scope.tokens.insert({
        tenantId: TENANT_A_ID,
        id: '0d000000-0000-4000-8000-0000000000c1',
        userId: USER_ID,
        purpose: 'password_reset',
        tokenHash: secrets.hash(secret),
        expiresAt: new Date(Date.now() + 60_000),
        usedAt: undefined,
        createdAt: new Date(),
      }),
    );
    const resetter = (log: AuditLog) =>
      new PasswordResetter(
        recovery,
        secrets,
        hasher,
        new SystemClock(),
        new RandomIdGenerator(),
        log,
        undefined,
        DEFAULT_PASSWORD_POLICY,
        joinedTransactions(),
      );
    const input = {
      token: formatUserToken(TENANT_A_ID, secret),
      newPassword: 'a new long passphrase',
    };
    const passwordHash = async () =>
      (await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID)))?.passwordHash;

    await expect(resetter(auditThatRefuses).run(input)).rejects.toThrow('audit log unavailable');
    expect(await passwordHash()).toBe('hash:before');
    // The token was not used up: the reset can be done once the event can be written.
    await resetter(audit).run(input);
    expect(await passwordHash()).toBe('hash:a new long passphrase');
    expect(await tenantEvents('auth.password.reset')).toBe(1);
  });
});

describe('disabling a user commits with its audit event or not at all', () => {
  it('DisableUser whose event cannot be written, or whose sessions cannot be ended, leaves the user active', async () => {
    const leaverId = '0c000000-0000-4000-8000-0000000000d1';
    await uow.inTenant(TENANT_A_ID, ({ users }) =>
      users.insert(
        aUser({ id: leaverId, email: 'leaver@acme.test', emailNormalized: 'leaver@acme.test' }),
      ),
    );
    const disabler = (log: AuditLog) =>
      new UserDisabler(
        uow,
        new SystemClock(),
        new RandomIdGenerator(),
        log,
        undefined,
        joinedTransactions(),
      );
    const status = async () =>
      (await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(leaverId)))?.status;

    await expect(disabler(auditThatRefuses).run(ADMIN, leaverId)).rejects.toThrow(
      'audit log unavailable',
    );
    expect(await status()).toBe('active');
    // Sessions that cannot be ended: not disabled either (their end is in the same transaction).
    const sessionsDown = {
      revokeAllOfUser: () => Promise.reject(new Error('sessions unavailable')),
    };
    await expect(
      new UserDisabler(
        uow,
        new SystemClock(),
        new RandomIdGenerator(),
        audit,
        sessionsDown,
        joinedTransactions(),
      ).run(ADMIN, leaverId),
    ).rejects.toThrow('sessions unavailable');
    expect(await status()).toBe('active');
    await disabler(audit).run(ADMIN, leaverId);
    expect(await status()).toBe('disabled');
    expect(await tenantEvents('auth.user.disabled')).toBe(1);
  });
});

describe('a password reset request commits its token, its mail and its event or none of them', () => {
  it('RequestPasswordReset whose event cannot be written leaves no token and sends no mail', async () => {
    const requesterId = '0c000000-0000-4000-8000-0000000000e1';
    // An earlier test suspended the tenant; requests for a suspended tenant do nothing.
    await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      const tenant = await tenants.findById(TENANT_A_ID);
      if (tenant !== undefined) await tenants.update({ ...tenant, status: 'active' });
    });
    await uow.inTenant(TENANT_A_ID, ({ users }) =>
      users.insert(
        aUser({ id: requesterId, email: 'forgot@acme.test', emailNormalized: 'forgot@acme.test' }),
      ),
    );
    const requester = (log: AuditLog) =>
      new PasswordResetRequester(
        new PgTenantDirectory(database.appKnex),
        new PgRecoveryUnitOfWork(database.appKnex, new RandomIdGenerator()),
        new RandomOneTimeSecrets(),
        { consume: () => Promise.resolve() },
        new SystemClock(),
        new RandomIdGenerator(),
        log,
        joinedTransactions(),
        30 * 60_000,
      );
    const input = { tenantSlug: 'acme', email: 'forgot@acme.test' };
    // Counted as the owner: tokens and the outbox are not readable by the app role at will.
    const written = async () => {
      const [tokens] = await database
        .ownerKnex('core.user_tokens')
        .where({ user_id: requesterId })
        .count<{ count: string }[]>('* as count');
      const [mails] = await database
        .ownerKnex('core.outbox_messages')
        .count<{ count: string }[]>('* as count');
      return { tokens: Number(tokens?.count), mails: Number(mails?.count) };
    };
    const before = await written();

    await expect(requester(auditThatRefuses).run(input)).rejects.toThrow('audit log unavailable');
    expect(await written()).toEqual(before);

    await requester(audit).run(input);
    expect(await written()).toEqual({ tokens: before.tokens + 1, mails: before.mails + 1 });
    expect(await tenantEvents('auth.password.reset_requested')).toBe(1);
  });
});

describe('signing key rotation', () => {
  const OPERATOR: Actor = {
    principal: { ...ADMIN.principal, tenantId: PLATFORM_TENANT_ID },
    tenantId: PLATFORM_TENANT_ID,
  };
  const claims: AccessTokenClaims = {
    subjectId: OPERATOR.principal.subjectId,
    tenantId: PLATFORM_TENANT_ID,
    kind: 'user',
    roles: ['owner'],
    sessionId: undefined,
    amr: ['pwd'],
  };
  const tokenService = () =>
    new JoseTokenService(
      { issuer: 'https://core.test', audience: 'test', activationDelaySeconds: 0 },
      {
        keys: new PgSigningKeyRepository(database.appKnex),
        secretBox: new AesGcmSecretBox(randomBytes(32), { purpose: 'signing-key' }),
        clock: new SystemClock(),
      },
    );
  const unretiredKids = async (): Promise<string[]> => {
    const rows = await database
      .ownerKnex('core.signing_keys')
      .whereNull('retired_at')
      .select<{ kid: string }[]>('kid');
    return rows.map((row) => row.kid);
  };
  const keyRows = () =>
    database.ownerKnex('core.signing_keys').orderBy('kid').select('kid', 'retired_at');
  const publishedKids = async (tokens: JoseTokenService) =>
    (await tokens.jwks()).keys.map((key) => key.kid).sort();

  it('commits the new key with its event: a rotation that cannot be recorded does not happen', async () => {
    const tokens = tokenService();
    await tokens.rotate();
    const first = await tokens.activeKeyInfo();
    const before = await keyRows();
    const publishedBefore = await publishedKids(tokens);
    const rotator = (log: AuditLog) =>
      new SigningKeyRotator(
        tokens,
        new SystemClock(),
        new RandomIdGenerator(),
        log,
        joinedTransactions(),
      );
    const platformEvents = () => eventsOf(audit, PLATFORM_TENANT_ID, 'auth.signing_key.rotated');

    for (const failing of [auditThatRefuses, auditFailingAtCommit(database.appKnex)]) {
      await expect(rotator(failing).run(OPERATOR)).rejects.toThrow();
      // No key written, none retired; in memory, nothing published or signing but what was.
      expect(await keyRows()).toEqual(before);
      expect(await publishedKids(tokens)).toEqual(publishedBefore);
      expect((await tokens.activeKeyInfo())?.kid).toBe(first?.kid);
    }
    expect(await platformEvents()).toBe(0);

    const kid = await rotator(audit).run(OPERATOR);
    expect(await platformEvents()).toBe(1);
    expect(await unretiredKids()).toEqual([kid]);
    expect(await publishedKids(tokens)).toContain(kid);
    expect((await tokens.activeKeyInfo())?.kid).toBe(kid);
    const issued = await tokens.issue(claims);
    expect((await tokens.verify(issued.token)).tenantId).toBe(PLATFORM_TENANT_ID);
  });

  it('two rotations at once leave one key unretired: the later retires the earlier one', async () => {
    const tokens = tokenService();
    const held = deferred();
    const written = deferred();
    const first = joinedTransactions().run(
      PLATFORM_TENANT_ID,
      async () => {
        const kid = await tokens.rotate();
        written.resolve();
        await held.promise; // its transaction stays open
        return kid;
      },
      () => Promise.resolve(),
    );
    await written.promise;
    const second = joinedTransactions().run(
      PLATFORM_TENANT_ID,
      () => tokens.rotate(),
      () => Promise.resolve(),
    );
    await untilSomeoneWaitsForALock(database.appKnex);
    held.resolve();
    const [, secondKid] = await Promise.all([first, second]);
    expect(await unretiredKids()).toEqual([secondKid]);
  });
});
