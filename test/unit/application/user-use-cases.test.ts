import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import { InMemoryRequestTransactions } from '../../../src/adapters/outbound/memory/in-memory-request-transactions.js';
import { InMemoryTenantDirectory } from '../../../src/adapters/outbound/memory/in-memory-tenant-directory.js';
import { InMemoryUnitOfWork } from '../../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../../src/adapters/outbound/memory/memory-database.js';
import { UserDisabler } from '../../../src/application/identity/disable-user.js';
import { CurrentUserReader } from '../../../src/application/identity/get-current-user.js';
import { StoredSubjects } from '../../../src/application/identity/stored-subjects.js';
import { UserLister } from '../../../src/application/identity/list-users.js';
import { UserRegistrar } from '../../../src/application/identity/register-user.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import { systemRolesFor } from '../../../src/domain/authorization/system-roles.js';
import type { PasswordHasher } from '../../../src/domain/identity/password-hasher.port.js';
import { DEFAULT_PASSWORD_POLICY } from '../../../src/domain/identity/password-policy.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import type { TenantScope, UnitOfWork } from '../../../src/domain/shared/unit-of-work.port.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../../mothers/tenant.mother.js';

const PASSWORD = 'a sturdy passphrase 2025';
const NOW = new Date('2025-05-06T07:08:09.010Z');

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

const actorOf = (tenantId: string, subjectId: string, roles = ['owner']): Actor => ({
  tenantId,
  principal: { subjectId, tenantId, kind: 'user', roles, sessionId: undefined, expiresAt: NOW },
});

describe('user use cases (memory adapters)', () => {
  let uow: CountingUnitOfWork;
  let registrar: UserRegistrar;
  let hashedWhileOpen: number[];
  let seq: number;
  const ids = { newId: () => `0d000000-0000-4000-8000-${String(++seq).padStart(12, '0')}` };

  beforeEach(async () => {
    seq = 0;
    hashedWhileOpen = [];
    const database = new MemoryDatabase();
    uow = new CountingUnitOfWork(new InMemoryUnitOfWork(database));
    const hasher: PasswordHasher = {
      hash: (password) => {
        hashedWhileOpen.push(uow.open);
        return Promise.resolve(`hash:${password}`);
      },
      verify: () => Promise.resolve(true),
      needsRehash: () => false,
      verifyDummy: () => Promise.resolve(),
    };
    await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      await tenants.insert(aTenant());
      await tenants.insert(anotherTenant({ selfSignUpEnabled: true }));
    });
    for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
      await uow.inTenant(tenantId, ({ roles }) =>
        roles.insertRoles(systemRolesFor(tenantId, ids.newId, NOW)),
      );
    }
    registrar = new UserRegistrar(
      new InMemoryTenantDirectory(database),
      uow,
      hasher,
      { now: () => NOW },
      ids,
      DEFAULT_PASSWORD_POLICY,
    );
  });

  const input = (email: string, tenantSlug = '') => ({
    tenantSlug,
    email,
    password: PASSWORD,
    displayName: '',
  });

  it('registers into the acting tenant with the member role, hashing outside any unit of work', async () => {
    const user = await registrar.run(actorOf(TENANT_A_ID, 'admin'), input('New@Acme.io'));
    expect(user).toMatchObject({
      tenantId: TENANT_A_ID,
      email: 'New@Acme.io',
      emailNormalized: 'new@acme.io',
      displayName: 'New@Acme.io',
      passwordHash: `hash:${PASSWORD}`,
      status: 'active',
      createdAt: NOW,
    });
    expect(hashedWhileOpen).toEqual([0]);
    const roles = await uow.inTenant(TENANT_A_ID, (scope) => scope.roles.roleNamesOf(user.id));
    expect(roles).toEqual(['member']);
  });

  it('signs up anonymously only where self sign-up is on; unknown tenants look the same', async () => {
    const user = await registrar.run(undefined, input('walk-in@globex.io', 'globex'));
    expect(user.tenantId).toBe(TENANT_B_ID);
    expect(hashedWhileOpen).toEqual([0]);
    for (const slug of ['acme', 'nowhere']) {
      await expect(registrar.run(undefined, input('walk-in@acme.io', slug))).rejects.toMatchObject({
        category: 'permission_denied',
        code: 'SELF_SIGN_UP_DISABLED',
        metadata: {},
      });
    }
    // Refused sign-ups cost no hashing.
    expect(hashedWhileOpen).toEqual([0]);
  });

  it('lists oldest first and validates the cursor', async () => {
    const admin = actorOf(TENANT_A_ID, 'admin');
    for (const n of [1, 2, 3]) await registrar.run(admin, input(`u${String(n)}@acme.io`));
    const lister = new UserLister(uow);
    const first = await lister.run(admin, { pageSize: 2, after: undefined });
    const second = await lister.run(admin, { pageSize: 2, after: first.nextAfter });
    expect([...first.items, ...second.items].map((user) => user.email)).toEqual([
      'u1@acme.io',
      'u2@acme.io',
      'u3@acme.io',
    ]);
    expect(second.nextAfter).toBeUndefined();
    await expect(lister.run(admin, { pageSize: 2, after: 'acme' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'page.page_token',
    });
  });

  it('disables others idempotently but never the caller; other tenants see USER_NOT_FOUND', async () => {
    const admin = actorOf(TENANT_A_ID, '0a000000-0000-4000-8000-0000000000ad');
    const user = await registrar.run(admin, input('leaver@acme.io'));
    const audit = new InMemoryAuditLog();
    const clock = { now: () => NOW };
    const transactions = new InMemoryRequestTransactions();
    const disabler = new UserDisabler(uow, clock, ids, audit, undefined, transactions);
    expect((await disabler.run(admin, user.id, { requestId: 'req-1' })).status).toBe('disabled');
    expect(await disabler.run(admin, user.id)).toEqual({ ...user, status: 'disabled' });
    // One event, for the real change only (the repeat changes nothing).
    expect(await audit.list(TENANT_A_ID, 10)).toMatchObject([
      {
        action: 'auth.user.disabled',
        outcome: 'success',
        occurredAt: NOW,
        actor: { subjectId: admin.principal.subjectId, requestId: 'req-1' },
        target: { type: 'user', id: user.id },
        details: { 'before.status': 'active', 'after.status': 'disabled' },
      },
    ]);
    await expect(disabler.run(actorOf(TENANT_A_ID, user.id), user.id)).rejects.toMatchObject({
      code: 'CANNOT_DISABLE_SELF',
    });
    await expect(disabler.run(actorOf(TENANT_B_ID, 'x'), user.id)).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
    const me = await new CurrentUserReader(new StoredSubjects(uow)).run(
      actorOf(TENANT_A_ID, user.id),
    );
    expect(me.status).toBe('disabled');
  });
});
