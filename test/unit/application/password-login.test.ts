import { beforeEach, describe, expect, it } from 'vitest';

import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import { inMemoryLoginThrottle } from '../../../src/adapters/outbound/memory/in-memory-login-throttle.js';
import { InMemoryTenantDirectory } from '../../../src/adapters/outbound/memory/in-memory-tenant-directory.js';
import { InMemoryUnitOfWork } from '../../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../../src/adapters/outbound/memory/memory-database.js';
import { PasswordLogin } from '../../../src/application/identity/login.js';
import {
  passwordHasherUnavailable,
  type PasswordHasher,
} from '../../../src/domain/identity/password-hasher.port.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import { aTenant, TENANT_A_ID } from '../../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../../mothers/user.mother.js';

const PASSWORD = 'the right password 123';
const CONTEXT = { ip: '203.0.113.7', requestId: 'req-1' };

/** Hashes are the password itself: what matters here is which branch runs, not argon2. */
const hasher: PasswordHasher & {
  verified: number;
  down: boolean;
  rehash: boolean;
  /** Runs while a login computes its rehash, between reading the user and recording the login. */
  whileHashing: (() => Promise<void>) | undefined;
} = {
  verified: 0,
  down: false,
  rehash: false,
  whileHashing: undefined,
  async hash(password) {
    await this.whileHashing?.();
    return `rehashed:${password}`;
  },
  verify(hash, password) {
    this.verified += 1;
    if (this.down) return Promise.reject(passwordHasherUnavailable());
    return Promise.resolve(hash === `plain:${password}` || hash === `rehashed:${password}`);
  },
  needsRehash(hash) {
    return this.rehash && hash.startsWith('plain:');
  },
  verifyDummy() {
    this.verified += 1;
    return Promise.resolve();
  },
};

let audit: InMemoryAuditLog;
let login: PasswordLogin;
let uow: InMemoryUnitOfWork;

beforeEach(async () => {
  const database = new MemoryDatabase();
  uow = new InMemoryUnitOfWork(database);
  await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
  await uow.inTenant(TENANT_A_ID, ({ users }) =>
    users.insert(aUser({ passwordHash: `plain:${PASSWORD}` })),
  );
  audit = new InMemoryAuditLog();
  let next = 0;
  login = new PasswordLogin(
    new InMemoryTenantDirectory(database),
    uow,
    hasher,
    {
      issue: (claims) =>
        Promise.resolve({ token: `token-for-${claims.subjectId}`, expiresAt: new Date() }),
    },
    { now: () => new Date('2025-03-01T00:00:00Z') },
    inMemoryLoginThrottle({
      maxFailures: 3,
      lockSeconds: 60,
      maxFailuresPerIp: 100,
      ipWindowSeconds: 60,
    }),
    audit,
    { newId: () => `0e000000-0000-4000-8000-${String((next += 1)).padStart(12, '0')}` },
  );
  hasher.verified = 0;
  hasher.down = false;
  hasher.rehash = false;
  hasher.whileHashing = undefined;
});

const attempt = (email: string, password: string, tenantSlug = 'acme'): Promise<unknown> =>
  login.run({ tenantSlug, email, password }, CONTEXT);

describe('PasswordLogin with brute-force protection and audit', () => {
  it('logs in and records the success with the user as actor', async () => {
    await expect(attempt('ada.lovelace@example.com', PASSWORD)).resolves.toMatchObject({
      token: `token-for-${USER_ID}`,
    });
    expect(await audit.list(TENANT_A_ID, 10)).toEqual([
      expect.objectContaining({
        action: 'auth.login.succeeded',
        outcome: 'success',
        actor: { kind: 'user', subjectId: USER_ID, ip: CONTEXT.ip, requestId: CONTEXT.requestId },
        target: { type: 'user', id: USER_ID },
      }),
    ]);
  });

  it('a hasher that cannot answer is UNAVAILABLE: not a wrong password, not audited, not counted', async () => {
    hasher.down = true;
    for (let i = 0; i < 5; i += 1) {
      await expect(attempt('ada.lovelace@example.com', PASSWORD)).rejects.toMatchObject({
        category: 'unavailable',
        code: 'PASSWORD_HASHER_UNAVAILABLE',
      });
    }
    expect(await audit.list(TENANT_A_ID, 10)).toEqual([]);
    hasher.down = false;
    // Five attempts with maxFailures 3 would have locked the account had they counted.
    await expect(attempt('ada.lovelace@example.com', PASSWORD)).resolves.toMatchObject({
      token: `token-for-${USER_ID}`,
    });
  });

  it('locks after maxFailures; then even the right password is refused, without hashing', async () => {
    for (let i = 0; i < 3; i += 1) {
      await expect(attempt('ada.lovelace@example.com', 'wrong password 123')).rejects.toMatchObject(
        {
          code: 'INVALID_CREDENTIALS',
        },
      );
    }
    const before = hasher.verified;
    await expect(attempt('ada.lovelace@example.com', PASSWORD)).rejects.toMatchObject({
      category: 'resource_exhausted',
      code: 'TOO_MANY_LOGIN_ATTEMPTS',
    });
    expect(hasher.verified).toBe(before);
    const actions = (await audit.list(TENANT_A_ID, 20)).map((e) => `${e.action}/${e.outcome}`);
    expect(actions).toEqual([
      'auth.login.failed/failure',
      'auth.login.failed/failure',
      'auth.login.failed/failure',
      'auth.login.locked/denied',
      'auth.login.failed/denied',
    ]);
    // Other accounts are unaffected.
    await expect(attempt('grace@example.com', PASSWORD)).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
  });

  it('locks an unknown email the same way (no enumeration)', async () => {
    for (let i = 0; i < 3; i += 1) {
      await expect(attempt('nobody@example.com', PASSWORD)).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
    }
    await expect(attempt('nobody@example.com', PASSWORD)).rejects.toMatchObject({
      code: 'TOO_MANY_LOGIN_ATTEMPTS',
    });
    const events = await audit.list(TENANT_A_ID, 20);
    expect(events[0]).toMatchObject({
      action: 'auth.login.failed',
      actor: { kind: 'anonymous', ip: CONTEXT.ip },
      details: { email: 'nobody@example.com', reason: 'unknown_user' },
    });
    expect(events[0]?.target).toBeUndefined();
  });

  it('a success resets the count', async () => {
    await attempt('ada.lovelace@example.com', 'wrong password 123').catch(() => undefined);
    await attempt('ada.lovelace@example.com', 'wrong password 123').catch(() => undefined);
    await attempt('ada.lovelace@example.com', PASSWORD);
    await attempt('ada.lovelace@example.com', 'wrong password 123').catch(() => undefined);
    await attempt('ada.lovelace@example.com', 'wrong password 123').catch(() => undefined);
    await expect(attempt('ada.lovelace@example.com', PASSWORD)).resolves.toBeDefined();
  });

  it('records failures on an unknown tenant in the platform log, with the slug named', async () => {
    await expect(attempt('ada@example.com', PASSWORD, 'nowhere')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(await audit.list(PLATFORM_TENANT_ID, 10)).toEqual([
      expect.objectContaining({
        action: 'auth.login.failed',
        outcome: 'failure',
        details: { email: 'ada@example.com', tenantSlug: 'nowhere', reason: 'unknown_tenant' },
      }),
    ]);
  });

  it('never puts the password in the audit log', async () => {
    await attempt('ada.lovelace@example.com', 'wrong password 123').catch(() => undefined);
    await attempt('ada.lovelace@example.com', PASSWORD);
    const text = JSON.stringify(await audit.list(TENANT_A_ID, 10));
    expect(text).not.toContain('password 123');
  });

  it('stores the rehash of an outdated hash', async () => {
    hasher.rehash = true;
    await attempt('ada.lovelace@example.com', PASSWORD);
    const user = await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID));
    expect(user?.passwordHash).toBe(`rehashed:${PASSWORD}`);
  });

  it('refuses a login whose password was replaced while the rehash was computed, and keeps the new one', async () => {
    hasher.rehash = true;
    hasher.whileHashing = () =>
      uow.inTenant(TENANT_A_ID, async ({ users }) => {
        const user = await users.findByIdForUpdate(USER_ID);
        if (user !== undefined)
          await users.update({ ...user, passwordHash: 'plain:changed meanwhile' });
      });
    // The password proven is no longer the user's: no session, no last login, no rehash.
    await expect(attempt('ada.lovelace@example.com', PASSWORD)).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    const user = await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID));
    expect(user?.passwordHash).toBe('plain:changed meanwhile');
    expect(user?.lastLoginAt).toBeUndefined();
  });
});
