import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledPolicyCache } from '../../../src/adapters/outbound/memory/compiled-policy-cache.js';
import { InProcessPolicyChanges } from '../../../src/adapters/outbound/memory/in-process-policy-changes.js';
import { DetachedUnitOfWork } from '../../../src/adapters/outbound/postgres/detached-unit-of-work.js';
import { PgJoinedTransactions } from '../../../src/adapters/outbound/postgres/pg-joined-transactions.js';
import { PgRequestTransactions } from '../../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { BindingAdmin } from '../../../src/application/authorization/binding-admin.js';
import { PolicyDecisionPoint } from '../../../src/application/authorization/policy-decision-point.js';
import { RoleAdmin } from '../../../src/application/authorization/role-admin.js';
import { StoredPolicies } from '../../../src/application/authorization/stored-policies.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import type { AuditLog } from '../../../src/domain/audit/audit-log.port.js';
import type { PolicyChange } from '../../../src/domain/authorization/policy-changes.port.js';
import { TENANT_SCOPE } from '../../../src/domain/authorization/role.js';
import { systemRolesFor } from '../../../src/domain/authorization/system-roles.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { aTenant, TENANT_A_ID } from '../../mothers/tenant.mother.js';
import { aUser } from '../../mothers/user.mother.js';

/** A role or binding change and its audit event commit together (Postgres). */
describe('authorization changes and their audit events are one transaction', () => {
  let db: TestDatabase;
  let uow: PgUnitOfWork;
  let roles: RoleAdmin;
  let bindings: BindingAdmin;
  let owner: Actor;
  let memberId: string;
  const announced: PolicyChange[] = [];
  let failAudit = false;
  const clock = { now: () => new Date() };
  const ids = { newId: () => randomUUID() };

  beforeAll(async () => {
    db = await createTestDatabase();
    uow = new PgUnitOfWork(db.appKnex);
    await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
    await uow.inTenant(TENANT_A_ID, ({ roles: r }) =>
      r.insertRoles(systemRolesFor(TENANT_A_ID, ids.newId, new Date())),
    );
    const user = async (roleName: string): Promise<string> => {
      const id = randomUUID();
      await uow.inTenant(TENANT_A_ID, async (scope) => {
        await scope.users.insert(
          aUser({
            tenantId: TENANT_A_ID,
            id,
            email: `${id}@x.test`,
            emailNormalized: `${id}@x.test`,
          }),
        );
        const found = await scope.roles.findRoleByName(roleName);
        await scope.roles.insertBinding({
          tenantId: TENANT_A_ID,
          id: randomUUID(),
          subjectId: id,
          subjectKind: 'user',
          roleId: found?.id ?? '',
          scope: TENANT_SCOPE,
          expiresAt: undefined,
          createdAt: new Date(),
        });
      });
      return id;
    };
    const changes = new InProcessPolicyChanges();
    changes.onChanged((change) => announced.push(change));
    const cache = new CompiledPolicyCache(new StoredPolicies(new DetachedUnitOfWork(uow)), clock, {
      maxStalenessMs: 1_000,
      maxSubjects: 100,
    }).listenTo(changes);
    const recorder = { record: () => undefined, flush: () => Promise.resolve() };
    const pdp = new PolicyDecisionPoint(cache, uow, recorder, ids, clock, []);
    const audit: AuditLog = {
      append: () =>
        failAudit ? Promise.reject(new Error('audit write failed')) : Promise.resolve(),
    } as unknown as AuditLog;
    const transactions = new PgJoinedTransactions(new PgRequestTransactions(db.appKnex));
    roles = new RoleAdmin(uow, pdp, changes, audit, ids, clock, transactions);
    bindings = new BindingAdmin(uow, pdp, changes, audit, ids, clock, transactions);
    const ownerId = await user('owner');
    owner = {
      tenantId: TENANT_A_ID,
      principal: {
        subjectId: ownerId,
        tenantId: TENANT_A_ID,
        kind: 'user',
        roles: [],
        sessionId: undefined,
        expiresAt: new Date(Date.now() + 900_000),
      },
    };
    memberId = await user('member');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('rolls the change back, unannounced, when its audit event cannot be written', async () => {
    await roles.create(owner, { name: 'kept', description: '', permissions: [], inherits: [] });
    failAudit = true;
    const before = announced.length;
    await expect(
      roles.create(owner, { name: 'ghost', description: '', permissions: [], inherits: [] }),
    ).rejects.toThrow('audit write failed');
    await expect(
      roles.update(owner, { role: 'kept', description: 'x', permissions: [], inherits: [] }),
    ).rejects.toThrow('audit write failed');
    await expect(
      bindings.assign(owner, {
        subjectId: memberId,
        role: 'kept',
        resource: '',
        expiresAt: undefined,
      }),
    ).rejects.toThrow('audit write failed');
    await expect(roles.delete(owner, { role: 'kept', force: true })).rejects.toThrow(
      'audit write failed',
    );
    failAudit = false;
    expect(announced.length).toBe(before);
    await uow.inTenant(TENANT_A_ID, async (scope) => {
      expect(await scope.roles.findRoleByName('ghost')).toBeUndefined();
      const kept = await scope.roles.findRoleByName('kept');
      expect(kept?.description).toBe('');
      expect(await scope.roles.countBindingsOfRole(kept?.id ?? '')).toBe(0);
    });
    const bound = await bindings.assign(owner, {
      subjectId: memberId,
      role: 'kept',
      resource: '',
      expiresAt: undefined,
    });
    failAudit = true;
    await expect(
      bindings.revoke(owner, {
        bindingId: bound.binding.id,
        subjectId: '',
        role: '',
        resource: '',
      }),
    ).rejects.toThrow('audit write failed');
    failAudit = false;
    await uow.inTenant(TENANT_A_ID, async (scope) => {
      expect(await scope.roles.findBindingById(bound.binding.id)).toBeDefined();
    });
  });
});
