import { beforeEach, describe, expect, it } from 'vitest';
import { RandomOneTimeSecrets } from '../../../src/adapters/outbound/crypto/random-one-time-secrets.js';
import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import {
  InMemoryRecoveryStore,
  InMemoryRecoveryUnitOfWork,
} from '../../../src/adapters/outbound/memory/in-memory-recovery-unit-of-work.js';
import { InMemoryTenantDirectory } from '../../../src/adapters/outbound/memory/in-memory-tenant-directory.js';
import { InMemoryUnitOfWork } from '../../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../../src/adapters/outbound/memory/memory-database.js';
import { memoryRecoveryThrottle } from '../../../src/adapters/outbound/shared/rate-limiter-recovery-throttle.js';
import { PasswordChanger } from '../../../src/application/identity/change-password.js';
import { EmailVerificationRequester } from '../../../src/application/identity/request-email-verification.js';
import { PasswordResetRequester } from '../../../src/application/identity/request-password-reset.js';
import { PasswordResetter } from '../../../src/application/identity/reset-password.js';
import { EmailVerifier } from '../../../src/application/identity/verify-email.js';
import { OutboxDispatcher } from '../../../src/application/notification/outbox-dispatcher.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import type { PasswordHasher } from '../../../src/domain/identity/password-hasher.port.js';
import { DEFAULT_PASSWORD_POLICY } from '../../../src/domain/identity/password-policy.js';
import type { SessionRevoker } from '../../../src/domain/identity/session-revoker.port.js';
import type { OutgoingMail } from '../../../src/domain/notification/notifier.port.js';
import { isDomainError } from '../../../src/domain/shared/errors.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import type { TenantScope, UnitOfWork } from '../../../src/domain/shared/unit-of-work.port.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../../mothers/user.mother.js';
import { InMemoryRequestTransactions } from '../../../src/adapters/outbound/memory/in-memory-request-transactions.js';

const PASSWORD = 'a sturdy passphrase 2025';
const NEW_PASSWORD = 'a brand new passphrase 77';
const TOKEN = /([0-9a-f-]{36}\.[A-Za-z0-9_-]{43})/;
const HALF_HOUR = 30 * 60_000;

/** Counts open units of work, so a test can tell where hashing happened. */
class CountingUnitOfWork implements UnitOfWork {
  open = 0;
  constructor(private readonly inner: UnitOfWork) {}
  async inTenant<T>(tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T> {
    this.open += 1;
    try {
      return await this.inner.inTenant(tenantId, work);
    } finally {
      this.open -= 1;
    }
  }
}

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    if (isDomainError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a failure');
};

describe('recovery use cases (memory adapters)', () => {
  let now: Date;
  const clock = { now: () => now };
  let seq: number;
  const ids = { newId: () => `0e000000-0000-4000-8000-${String(++seq).padStart(12, '0')}` };
  let uow: CountingUnitOfWork;
  let store: InMemoryRecoveryStore;
  let audit: InMemoryAuditLog;
  let hashedWhileOpen: number[];
  let revoked: [string, string, string | undefined][];
  let sent: OutgoingMail[];
  let requestReset: PasswordResetRequester;
  let reset: PasswordResetter;
  let change: PasswordChanger;
  let requestVerification: EmailVerificationRequester;
  let verify: EmailVerifier;
  let dispatcher: OutboxDispatcher;

  const actor: Actor = {
    tenantId: TENANT_A_ID,
    principal: {
      subjectId: USER_ID,
      tenantId: TENANT_A_ID,
      kind: 'user',
      roles: ['member'],
      sessionId: 'session-1',
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    },
  };

  /** Sends due mail and returns the token of the newest one to `recipient`. */
  const mailedToken = async (recipient: string): Promise<string | undefined> => {
    await dispatcher.dispatchOnce();
    const mail = sent.filter((m) => m.recipient === recipient).at(-1);
    return mail === undefined ? undefined : TOKEN.exec(mail.bodyText)?.[1];
  };
  const userA = () => uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID));

  beforeEach(async () => {
    now = new Date('2025-05-06T07:08:09.010Z');
    seq = 0;
    hashedWhileOpen = [];
    revoked = [];
    sent = [];
    const database = new MemoryDatabase();
    uow = new CountingUnitOfWork(new InMemoryUnitOfWork(database));
    await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      await tenants.insert(aTenant());
      await tenants.insert(anotherTenant({ status: 'suspended' }));
    });
    await uow.inTenant(TENANT_A_ID, ({ users }) =>
      users.insert(aUser({ passwordHash: `hash:${PASSWORD}` })),
    );
    await uow.inTenant(TENANT_B_ID, ({ users }) =>
      users.insert(aUser({ tenantId: TENANT_B_ID, passwordHash: `hash:${PASSWORD}` })),
    );
    const hasher: PasswordHasher = {
      hash: (password) => {
        hashedWhileOpen.push(uow.open);
        return Promise.resolve(`hash:${password}`);
      },
      verify: (hash, password) => {
        hashedWhileOpen.push(uow.open);
        return Promise.resolve(hash === `hash:${password}`);
      },
      needsRehash: () => false,
      verifyDummy: () => Promise.resolve(),
    };
    const sessions: SessionRevoker = {
      revokeAllOfUser: (tenantId, userId, _cause, except) => {
        revoked.push([tenantId, userId, except]);
        return Promise.resolve(1);
      },
    };
    store = new InMemoryRecoveryStore(clock);
    const recovery = new InMemoryRecoveryUnitOfWork(uow, store, ids, clock);
    const secrets = new RandomOneTimeSecrets();
    audit = new InMemoryAuditLog();
    const throttle = memoryRecoveryThrottle({ maxPerAccount: 3, maxPerIp: 100, windowSeconds: 60 });
    const transactions = new InMemoryRequestTransactions();
    requestReset = new PasswordResetRequester(
      new InMemoryTenantDirectory(database),
      recovery,
      secrets,
      throttle,
      clock,
      ids,
      audit,
      transactions,
      HALF_HOUR,
    );
    const policy = DEFAULT_PASSWORD_POLICY;
    reset = new PasswordResetter(
      recovery,
      secrets,
      hasher,
      clock,
      ids,
      audit,
      sessions,
      policy,
      transactions,
    );
    change = new PasswordChanger(uow, hasher, clock, ids, audit, sessions, policy, transactions);
    requestVerification = new EmailVerificationRequester(recovery, secrets, clock, ids, 86_400_000);
    verify = new EmailVerifier(recovery, secrets, clock);
    dispatcher = new OutboxDispatcher(
      store,
      {
        send: (mail) => {
          sent.push(mail);
          return Promise.resolve();
        },
      },
      {
        batchSize: 10,
        leaseMs: 60_000,
        retryMs: 1_000,
        maxAttempts: 10,
        onError: () => undefined,
        onGaveUp: () => undefined,
      },
    );
  });

  it('resets a password once with the mailed token, ending every session', async () => {
    await requestReset.run({ tenantSlug: 'acme', email: 'ADA.lovelace@example.com' });
    const token = await mailedToken('Ada.Lovelace@Example.com');
    expect(token).toBeDefined();
    await reset.run({ token: token!, newPassword: NEW_PASSWORD }, { ip: '10.0.0.1' });

    expect((await userA())?.passwordHash).toBe(`hash:${NEW_PASSWORD}`);
    expect(hashedWhileOpen).toEqual([0]);
    expect(revoked).toEqual([[TENANT_A_ID, USER_ID, undefined]]);
    const actions = (await audit.list(TENANT_A_ID, 10)).map((e) => e.action);
    expect(actions).toEqual(['auth.password.reset_requested', 'auth.password.reset']);
    expect(await codeOf(reset.run({ token: token!, newPassword: NEW_PASSWORD }))).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
  });

  it('keeps the sent mail body out of the outbox once delivered', async () => {
    await requestReset.run({ tenantSlug: 'acme', email: 'ada.lovelace@example.com' });
    await dispatcher.dispatchOnce();
    expect([...store.outbox.values()].map((row) => row.bodyText)).toEqual(['']);
  });

  it('answers the same and mails nothing for unknown emails and unusable tenants', async () => {
    await expect(
      requestReset.run({ tenantSlug: 'acme', email: 'nobody@example.com' }),
    ).resolves.toBeUndefined();
    await expect(
      requestReset.run({ tenantSlug: 'nope', email: 'ada.lovelace@example.com' }),
    ).resolves.toBeUndefined();
    await expect(
      requestReset.run({ tenantSlug: 'globex', email: 'ada.lovelace@example.com' }),
    ).resolves.toBeUndefined();
    await dispatcher.dispatchOnce();
    expect(sent).toEqual([]);
  });

  it('refuses an expired token, and an older token once a newer one is issued', async () => {
    await requestReset.run({ tenantSlug: 'acme', email: 'ada.lovelace@example.com' });
    const first = await mailedToken('Ada.Lovelace@Example.com');
    await requestReset.run({ tenantSlug: 'acme', email: 'ada.lovelace@example.com' });
    const second = await mailedToken('Ada.Lovelace@Example.com');
    expect(second).not.toBe(first);
    expect(await codeOf(reset.run({ token: first!, newPassword: NEW_PASSWORD }))).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
    now = new Date(now.getTime() + HALF_HOUR);
    expect(await codeOf(reset.run({ token: second!, newPassword: NEW_PASSWORD }))).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
    expect(hashedWhileOpen).toEqual([]);
  });

  it('refuses a token of a user disabled since', async () => {
    await requestReset.run({ tenantSlug: 'acme', email: 'ada.lovelace@example.com' });
    const token = await mailedToken('Ada.Lovelace@Example.com');
    await uow.inTenant(TENANT_A_ID, async ({ users }) => {
      const user = await users.findById(USER_ID);
      await users.update({ ...user!, status: 'disabled' });
    });
    expect(await codeOf(reset.run({ token: token!, newPassword: NEW_PASSWORD }))).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
  });

  it('caps requests per (tenant, email), existing or not', async () => {
    for (let i = 0; i < 3; i += 1) {
      await requestReset.run({ tenantSlug: 'acme', email: 'nobody@example.com' });
    }
    expect(
      await codeOf(requestReset.run({ tenantSlug: 'acme', email: 'nobody@example.com' })),
    ).toBe('TOO_MANY_REQUESTS');
  });

  it('refuses malformed tokens as INVALID_ARGUMENT on token, before anything else', async () => {
    for (const token of ['', 'x', `${TENANT_A_ID}.short`, `nope.${'a'.repeat(43)}`]) {
      expect(await codeOf(reset.run({ token, newPassword: NEW_PASSWORD }))).toBe(
        'INVALID_ARGUMENT',
      );
      expect(await codeOf(verify.run({ token }))).toBe('INVALID_ARGUMENT');
    }
  });

  it('changes the password with the current one, ending the other sessions', async () => {
    expect(
      await codeOf(
        change.run(actor, { currentPassword: 'wrong password 123', newPassword: NEW_PASSWORD }),
      ),
    ).toBe('INVALID_CREDENTIALS');
    expect(
      await codeOf(change.run(actor, { currentPassword: PASSWORD, newPassword: 'short' })),
    ).toBe('INVALID_ARGUMENT');
    await change.run(actor, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect((await userA())?.passwordHash).toBe(`hash:${NEW_PASSWORD}`);
    expect(hashedWhileOpen.every((open) => open === 0)).toBe(true);
    expect(revoked).toEqual([[TENANT_A_ID, USER_ID, 'session-1']]);
    const events = await audit.list(TENANT_A_ID, 10);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ['auth.password.changed', 'failure'],
      ['auth.password.changed', 'success'],
    ]);
  });

  it('verifies the email once with the mailed token; a verified user gets no more mail', async () => {
    await requestVerification.run(actor);
    const token = await mailedToken('Ada.Lovelace@Example.com');
    expect(await codeOf(reset.run({ token: token!, newPassword: NEW_PASSWORD }))).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
    await verify.run({ token: token! });
    expect((await userA())?.emailVerifiedAt).toEqual(now);
    expect(await codeOf(verify.run({ token: token! }))).toBe('INVALID_OR_EXPIRED_TOKEN');
    await requestVerification.run(actor);
    await dispatcher.dispatchOnce();
    expect(sent).toHaveLength(1);
  });

  it("finds no token of tenant A when presented as tenant B's", async () => {
    await requestReset.run({ tenantSlug: 'acme', email: 'ada.lovelace@example.com' });
    const token = await mailedToken('Ada.Lovelace@Example.com');
    const forged = token!.replace(TENANT_A_ID, TENANT_B_ID);
    expect(await codeOf(reset.run({ token: forged, newPassword: NEW_PASSWORD }))).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
  });
});
