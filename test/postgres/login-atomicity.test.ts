import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { HmacRefreshTokenCodec } from '../../src/adapters/outbound/crypto/hmac-refresh-token-codec.js';
import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import { SystemClock } from '../../src/adapters/outbound/crypto/system-clock.js';
import { InProcessSessionRevocations } from '../../src/adapters/outbound/memory/in-process-session-revocations.js';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import { PgJoinedTransactions } from '../../src/adapters/outbound/postgres/pg-joined-transactions.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgSessionStore } from '../../src/adapters/outbound/postgres/pg-session-store.js';
import { PgTenantDirectory } from '../../src/adapters/outbound/postgres/pg-tenant-directory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PasswordLogin } from '../../src/application/identity/login.js';
import { SessionManager } from '../../src/application/identity/sessions.js';
import type { AuditLog } from '../../src/domain/audit/audit-log.port.js';
import type { LoginThrottle } from '../../src/domain/identity/login-throttle.port.js';
import type { PasswordHasher } from '../../src/domain/identity/password-hasher.port.js';
import type { User } from '../../src/domain/identity/user.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, TENANT_A_ID } from '../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { auditThatRefuses, auditFailingAtCommit, eventsOf } from '../support/audit-logs.js';
import { deferred } from '../support/deferred.js';

// A successful login's writes (last login, auth.login.succeeded, the session) are one
// transaction, and the user's status is read again under the row lock before they are made.

const PASSWORD = 'the right passphrase 1';

let database: TestDatabase;
let uow: PgUnitOfWork;
let audit: PgAuditLog;

const noThrottle: LoginThrottle = {
  check: () => Promise.resolve(),
  recordFailure: () => Promise.resolve({ locked: false }),
  recordSuccess: () => Promise.resolve(),
};

const rightPassword: PasswordHasher = {
  hash: (password) => Promise.resolve(`hash:${password}`),
  verify: (hash, password) => Promise.resolve(hash === `hash:${password}`),
  needsRehash: () => false,
  verifyDummy: () => Promise.resolve(),
};

function login(log: AuditLog, hasher: PasswordHasher = rightPassword): PasswordLogin {
  const joined = new PgJoinedTransactions(new PgRequestTransactions(database.appKnex));
  const tokens = { issue: () => Promise.resolve({ token: 'at', expiresAt: new Date() }) };
  const sessions = new SessionManager(
    new PgSessionStore(database.appKnex),
    new HmacRefreshTokenCodec(Buffer.from(generateMasterKey(), 'base64')),
    uow,
    tokens,
    new PgTenantDirectory(database.appKnex),
    new SystemClock(),
    new RandomIdGenerator(),
    log,
    new InProcessSessionRevocations(),
    { idleTimeoutSeconds: 3_600, absoluteLifetimeSeconds: 86_400, reuseGraceSeconds: 10 },
    { holds: () => false },
    joined,
  );
  return new PasswordLogin(
    new PgTenantDirectory(database.appKnex),
    uow,
    hasher,
    tokens,
    new SystemClock(),
    noThrottle,
    log,
    new RandomIdGenerator(),
    sessions,
    joined,
  );
}

const input = { tenantSlug: 'acme', email: 'ada.lovelace@example.com', password: PASSWORD };

async function sessionsOfUser(): Promise<number> {
  const store = new PgSessionStore(database.appKnex);
  const live = await store.inTenant(TENANT_A_ID, (sessions) =>
    sessions.listLiveSessionsOfUser(USER_ID, new Date(), { limit: 100, after: undefined }),
  );
  return live.length;
}

const stored = async () => uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID));

const loginEvents = (action: string): Promise<number> => eventsOf(audit, TENANT_A_ID, action);

beforeAll(async () => {
  database = await createTestDatabase();
  uow = new PgUnitOfWork(database.appKnex);
  audit = new PgAuditLog(database.appKnex);
});

beforeEach(async () => {
  await database.reset();
  await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
  await uow.inTenant(TENANT_A_ID, ({ users }) =>
    users.insert(aUser({ passwordHash: `hash:${PASSWORD}` })),
  );
});

afterAll(async () => {
  await database.drop();
});

describe('a login commits its last login, its event and its session together', () => {
  it('a login whose events fail at commit starts no session and records no last login', async () => {
    // The real log writes its events right before the commit: fail them there, after the
    // session was inserted in the same transaction.
    const failsAtCommit = auditFailingAtCommit(database.appKnex);
    await expect(login(failsAtCommit).run(input)).rejects.toThrow('chain hash failed');
    expect(await sessionsOfUser()).toBe(0);
    expect((await stored())?.lastLoginAt).toBeUndefined();
    await expect(login(auditThatRefuses).run(input)).rejects.toThrow('audit log unavailable');
    expect(await sessionsOfUser()).toBe(0);
    expect((await stored())?.lastLoginAt).toBeUndefined();

    await login(audit).run(input);
    expect(await sessionsOfUser()).toBe(1);
    expect((await stored())?.lastLoginAt).toBeInstanceOf(Date);
    expect(await loginEvents('auth.login.succeeded')).toBe(1);
  });

  /** Logs in with the right password while `change` is made to the user mid-verification. */
  async function loginWhile(change: (user: User) => User): Promise<unknown> {
    const { promise: isVerifying, resolve: verifying } = deferred();
    const { promise: isChanged, resolve: changed } = deferred();
    const slowHasher: PasswordHasher = {
      ...rightPassword,
      verify: async (hash, password) => {
        verifying();
        await isChanged;
        return hash === `hash:${password}`;
      },
    };
    const attempt = login(audit, slowHasher)
      .run(input)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await isVerifying;
    await uow.inTenant(TENANT_A_ID, async ({ users }) => {
      const user = await users.findByIdForUpdate(USER_ID);
      if (user === undefined) throw new Error('the user is missing');
      await users.update(change(user));
    });
    changed();
    return attempt;
  }

  it('a user disabled while the password was being verified gets no session', async () => {
    expect(await loginWhile((user) => ({ ...user, status: 'disabled' }))).toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(await sessionsOfUser()).toBe(0);
    expect(await loginEvents('auth.login.succeeded')).toBe(0);
    expect(await loginEvents('auth.login.failed')).toBe(1);
  });

  it('a password replaced (reset, changed) while the old one was being verified gets no session', async () => {
    const reset = (user: User): User => ({ ...user, passwordHash: 'hash:set by a reset' });
    expect(await loginWhile(reset)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await sessionsOfUser()).toBe(0);
    expect(await loginEvents('auth.login.succeeded')).toBe(0);
    expect((await stored())?.passwordHash).toBe('hash:set by a reset');
  });
});
