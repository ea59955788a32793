import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import { RandomOneTimeSecrets } from '../../src/adapters/outbound/crypto/random-one-time-secrets.js';
import { SystemClock } from '../../src/adapters/outbound/crypto/system-clock.js';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import { PgJoinedTransactions } from '../../src/adapters/outbound/postgres/pg-joined-transactions.js';
import { PgRecoveryUnitOfWork } from '../../src/adapters/outbound/postgres/pg-recovery-unit-of-work.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PasswordChanger } from '../../src/application/identity/change-password.js';
import { UserDisabler } from '../../src/application/identity/disable-user.js';
import { PasswordResetter } from '../../src/application/identity/reset-password.js';
import { EmailVerifier } from '../../src/application/identity/verify-email.js';
import type { Actor } from '../../src/application/shared/actor.js';
import type { PasswordHasher } from '../../src/domain/identity/password-hasher.port.js';
import { DEFAULT_PASSWORD_POLICY } from '../../src/domain/identity/password-policy.js';
import { formatUserToken, type UserTokenPurpose } from '../../src/domain/identity/user-token.js';
import type { User } from '../../src/domain/identity/user.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, TENANT_A_ID } from '../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deferred } from '../support/deferred.js';
import { untilSomeoneWaitsForALock } from '../support/lock-waits.js';

// User changes read the row, edit it and write all of it back: the row lock is what keeps an
// email verification or a password change from writing back the status a concurrent disable
// has just changed (re-enabling the user), and a disable from undoing a verification.

const PASSWORD = 'the current passphrase 1';
const NEW_PASSWORD = 'a brand new passphrase 2';
const VERIFIED_AT = new Date('2025-04-05T06:07:08.009Z');

let database: TestDatabase;
let uow: PgUnitOfWork;
let recovery: PgRecoveryUnitOfWork;

const secrets = new RandomOneTimeSecrets();
const clock = new SystemClock();
const ids = new RandomIdGenerator();
const hasher: PasswordHasher = {
  hash: (password) => Promise.resolve(`hash:${password}`),
  verify: (hash, password) => Promise.resolve(hash === `hash:${password}`),
  needsRehash: () => false,
  verifyDummy: () => Promise.resolve(),
};
const transactions = () => new PgJoinedTransactions(new PgRequestTransactions(database.appKnex));
const audit = () => new PgAuditLog(database.appKnex);

const actorFor = (subjectId: string, roles: string[]): Actor => ({
  principal: {
    subjectId,
    tenantId: TENANT_A_ID,
    kind: 'user',
    roles,
    sessionId: undefined,
    expiresAt: new Date(Date.now() + 60_000),
  },
  tenantId: TENANT_A_ID,
});

const stored = async (): Promise<User> => {
  const user = await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID));
  if (user === undefined) throw new Error('the user is missing');
  return user;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A usable one-time token of the user, as mailed. */
async function issueToken(purpose: UserTokenPurpose): Promise<string> {
  const secret = secrets.newSecret();
  await recovery.inTenant(TENANT_A_ID, (scope) =>
    scope.tokens.insert({
      tenantId: TENANT_A_ID,
      id: ids.newId(),
      userId: USER_ID,
      purpose,
      tokenHash: secrets.hash(secret),
      expiresAt: new Date(Date.now() + 60_000),
      usedAt: undefined,
      createdAt: new Date(),
    }),
  );
  return formatUserToken(TENANT_A_ID, secret);
}

/**
 * Writes `change` to the user in a transaction that stays open, the row locked, until `racing`
 * waits for that lock; then commits. A racing read-modify-write that does not lock reads the row
 * as it was, waits at its write, and then undoes `change`. Resolves to what `racing` threw, if
 * anything.
 */
async function whileChangeHeld(
  change: (user: User) => User,
  racing: () => Promise<unknown>,
): Promise<unknown> {
  const { promise: hasChanged, resolve: changed } = deferred();
  const { promise: released, resolve: release } = deferred();
  const holder = uow.inTenant(TENANT_A_ID, async ({ users }) => {
    const user = await users.findByIdForUpdate(USER_ID);
    if (user === undefined) throw new Error('the user is missing');
    await users.update(change(user));
    changed();
    await released;
  });
  await Promise.race([hasChanged, holder]);
  const failure = racing().then(
    () => undefined,
    (error: unknown) => error,
  );
  await untilSomeoneWaitsForALock(database.appKnex);
  release();
  await holder;
  return failure;
}

const disabled = (user: User): User => ({ ...user, status: 'disabled' });

beforeAll(async () => {
  database = await createTestDatabase();
  uow = new PgUnitOfWork(database.appKnex);
  recovery = new PgRecoveryUnitOfWork(database.appKnex, ids);
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

describe('UserRepository.findByIdForUpdate on Postgres', () => {
  it('leaves alone rows that refer to the user: a token is issued while the user is locked', async () => {
    const { promise: isLocked, resolve: locked } = deferred();
    const { promise: released, resolve: release } = deferred();
    const holder = uow.inTenant(TENANT_A_ID, async ({ users }) => {
      await users.findByIdForUpdate(USER_ID);
      locked();
      await released;
    });
    await isLocked;
    // The insert's foreign key check takes a key share lock on the user row: FOR UPDATE would
    // make it wait for the holder (and deadlock a reset racing a new reset request).
    const issued = issueToken('password_reset');
    const outcome = await Promise.race([
      issued.then(() => 'issued'),
      sleep(2_000).then(() => 'waiting for the user row'),
    ]);
    release();
    await holder;
    await issued;
    expect(outcome).toBe('issued');
  });

  it('makes a concurrent change wait, so neither change undoes the other', async () => {
    const { promise: read, resolve: editorHasRead } = deferred();
    const edit = uow.inTenant(TENANT_A_ID, async ({ users }) => {
      const user = await users.findByIdForUpdate(USER_ID);
      if (user === undefined) throw new Error('the user is missing');
      editorHasRead();
      // The disable below starts now; without the lock it would commit before this write.
      await untilSomeoneWaitsForALock(database.appKnex);
      await users.update({ ...user, emailVerifiedAt: VERIFIED_AT });
    });
    await read;
    const disable = uow.inTenant(TENANT_A_ID, async ({ users }) => {
      const user = await users.findByIdForUpdate(USER_ID);
      if (user === undefined) throw new Error('the user is missing');
      await users.update({ ...user, status: 'disabled' });
    });
    await Promise.all([edit, disable]);

    expect(await stored()).toMatchObject({ emailVerifiedAt: VERIFIED_AT, status: 'disabled' });
  });
});

describe('user use cases racing a concurrent change on Postgres', () => {
  it('VerifyEmail does not re-enable a user disabled meanwhile', async () => {
    const token = await issueToken('email_verification');
    const verifier = new EmailVerifier(recovery, secrets, clock);

    expect(await whileChangeHeld(disabled, () => verifier.run({ token }))).toBeUndefined();

    const user = await stored();
    expect(user.status).toBe('disabled');
    expect(user.emailVerifiedAt).toBeInstanceOf(Date);
  });

  it('DisableUser does not undo an email verification made meanwhile', async () => {
    const disabler = new UserDisabler(uow, clock, ids, audit(), undefined, transactions());
    const admin = actorFor('01a00000-0000-7000-8000-0000000000ad', ['admin']);

    expect(
      await whileChangeHeld(
        (user) => ({ ...user, emailVerifiedAt: VERIFIED_AT }),
        () => disabler.run(admin, USER_ID),
      ),
    ).toBeUndefined();

    expect(await stored()).toMatchObject({ status: 'disabled', emailVerifiedAt: VERIFIED_AT });
  });

  const passwordChanger = () =>
    new PasswordChanger(
      uow,
      hasher,
      clock,
      ids,
      audit(),
      undefined,
      DEFAULT_PASSWORD_POLICY,
      transactions(),
    );
  const changeOwnPassword = () =>
    passwordChanger().run(actorFor(USER_ID, ['member']), {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });

  it('ChangePassword of a user disabled meanwhile is refused and re-enables nobody', async () => {
    expect(await whileChangeHeld(disabled, changeOwnPassword)).toMatchObject({
      code: 'USER_NOT_FOUND',
    });

    expect(await stored()).toMatchObject({ status: 'disabled', passwordHash: `hash:${PASSWORD}` });
  });

  it('ChangePassword proven against a hash replaced meanwhile is refused as retryable, the new hash stays', async () => {
    const reset = (user: User): User => ({ ...user, passwordHash: 'hash:set by a reset' });

    expect(await whileChangeHeld(reset, changeOwnPassword)).toMatchObject({
      category: 'aborted',
      code: 'PASSWORD_CHANGED_MEANWHILE',
    });

    expect(await stored()).toMatchObject({ status: 'active', passwordHash: 'hash:set by a reset' });
  });

  it('ResetPassword sees a disable made meanwhile: the reset is refused, the user stays disabled', async () => {
    const token = await issueToken('password_reset');
    const resetter = new PasswordResetter(
      recovery,
      secrets,
      hasher,
      clock,
      ids,
      audit(),
      undefined,
      DEFAULT_PASSWORD_POLICY,
      transactions(),
    );

    expect(
      await whileChangeHeld(disabled, () => resetter.run({ token, newPassword: NEW_PASSWORD })),
    ).toMatchObject({ code: 'INVALID_OR_EXPIRED_TOKEN' });

    expect(await stored()).toMatchObject({ status: 'disabled', passwordHash: `hash:${PASSWORD}` });
  });
});
