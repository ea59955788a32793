import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import type { Role } from '../../src/domain/authorization/role.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';
import { eventually } from '../support/eventually.js';

const PASSWORD = 'authorization e2e password';

const redis: Record<string, string> = inject('redisAvailable')
  ? { REDIS_URL: inject('redisUrl') }
  : {};

describe('authorization end to end: custom roles, scoped and expiring grants, two replicas', () => {
  let a: TestCore;
  let b: TestCore;
  let tenantId: string;
  let owner: string;
  let memberId: string;
  let memberOnB: string;

  beforeAll(async () => {
    a = await startTestCore(redis);
    b = await startTestCore(redis, { replicaOf: a });
    const admin = await a.adminToken();
    const { tenant } = await call(
      a.tenancy,
      'createTenant',
      { slug: 'authz-e2e', displayName: 'Authz', plan: '', selfSignUpEnabled: false },
      bearer(admin, freshKey()),
    );
    tenantId = tenant!.id;
    await seedUser(a.database.appUrl, tenantId, {
      email: 'owner@authz.test',
      password: PASSWORD,
      role: 'owner',
    });
    memberId = await seedUser(a.database.appUrl, tenantId, {
      email: 'member@authz.test',
      password: PASSWORD,
      role: 'member',
    });
    owner = await a.login('authz-e2e', 'owner@authz.test', PASSWORD);
    memberOnB = await b.login('authz-e2e', 'member@authz.test', PASSWORD);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const createRole = (name: string, permissions: string[], inherits: string[] = []) =>
    call(
      a.authorization,
      'createRole',
      { name, description: `${name} role`, permissions, inherits },
      bearer(owner),
    );
  const assign = (role: string, resource = '', expireTime?: Date) =>
    call(
      a.authorization,
      'assignRole',
      { subjectId: memberId, role, resource, expireTime },
      bearer(owner),
    );
  const checkOnB = (permission: string, resource = '') =>
    call(b.authorization, 'check', { subjectId: '', permission, resource }, bearer(memberOnB));
  const listUsersOnB = () => call(b.identity, 'listUsers', { page: undefined }, bearer(memberOnB));

  it('a custom role hierarchy, assigned tenant-wide, opens a guarded RPC on the other replica within a second', async () => {
    await createRole('doc-reader', ['documents:read']);
    const editor = await createRole('doc-editor', ['documents:write'], ['doc-reader']);
    expect(editor.role).toMatchObject({
      name: 'doc-editor',
      inherits: ['doc-reader'],
      system: false,
    });
    await createRole('people-viewer', ['users:read']);

    expect((await failureOf(listUsersOnB())).code).toBe(status.PERMISSION_DENIED);
    const denied = await checkOnB('users:read');
    expect(denied.allowed).toBe(false);
    expect(denied.reason?.summary).toContain('users:read');

    const { binding } = await assign('people-viewer');
    expect(binding).toMatchObject({ subjectId: memberId, role: 'people-viewer', resource: '' });
    const took = await eventually(1_000, async () => {
      expect((await listUsersOnB()).users.length).toBeGreaterThanOrEqual(2);
    });
    expect(took).toBeLessThan(1_000);
    const allowed = await checkOnB('users:read');
    expect(allowed).toMatchObject({
      allowed: true,
      reason: {
        bindingId: binding!.id,
        rolePath: ['people-viewer'],
        matchedPermission: 'users:read',
      },
    });

    await call(
      a.authorization,
      'revokeRole',
      { bindingId: binding!.id, subjectId: '', role: '', resource: '' },
      bearer(owner),
    );
    await eventually(1_000, async () => {
      expect((await failureOf(listUsersOnB())).code).toBe(status.PERMISSION_DENIED);
    });
  });

  it('a resource-scoped binding grants on that resource only, through the inheritance path', async () => {
    await assign('doc-editor', 'documents/7');
    await eventually(1_000, async () => {
      const onSeven = await checkOnB('documents:read', 'documents/7');
      expect(onSeven).toMatchObject({
        allowed: true,
        reason: { rolePath: ['doc-editor', 'doc-reader'], matchedPermission: 'documents:read' },
      });
    });
    expect((await checkOnB('documents:write', 'documents/8')).allowed).toBe(false);
    expect((await checkOnB('documents:write')).allowed).toBe(false);
    const many = await call(
      b.authorization,
      'checkMany',
      {
        items: [
          { subjectId: '', permission: 'documents:write', resource: 'documents/7' },
          { subjectId: '', permission: 'documents:write', resource: 'documents/8' },
          { subjectId: '', permission: 'profile:read', resource: '' },
        ],
      },
      bearer(memberOnB),
    );
    expect(many.results.map((result) => result.allowed)).toEqual([true, false, true]);
    const permissions = await call(
      b.authorization,
      'listPermissions',
      { subjectId: '', resource: 'documents/7' },
      bearer(memberOnB),
    );
    expect(permissions.permissions).toEqual(
      expect.arrayContaining(['documents:read', 'documents:write', 'profile:read']),
    );
  });

  it('an expiring binding stops granting when it expires, without any sweeper', async () => {
    await assign('doc-reader', '', new Date(Date.now() + 1_500));
    await eventually(1_000, async () => {
      expect((await checkOnB('documents:read')).allowed).toBe(true);
    });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await checkOnB('documents:read')).allowed).toBe(false);
  });

  it('audit rows record the role and binding changes and the denied checks', async () => {
    await a.core.auditRecorder.flush();
    await b.core.auditRecorder.flush();
    const rows = await a.database
      .ownerKnex('core.audit_events')
      .where({ tenant_id: tenantId })
      .whereLike('action', 'authz.%')
      .select('action', 'actor_subject_id', 'details');
    const actions = rows.map((row: { action: string }) => row.action);
    expect(actions.filter((action) => action === 'authz.role.created')).toHaveLength(3);
    expect(actions).toContain('authz.binding.created');
    expect(actions).toContain('authz.binding.revoked');
    const denied = rows.filter(
      (row: { action: string; details: Record<string, unknown> }) =>
        row.action === 'authz.check.denied' && row.details.permission === 'users:read',
    );
    expect(denied.length).toBeGreaterThanOrEqual(2);
    expect(denied.map((row: { actor_subject_id: string }) => row.actor_subject_id)).toContain(
      memberId,
    );
    const created = rows.find(
      (row: { action: string; details: Record<string, unknown> }) =>
        row.action === 'authz.role.created' && row.details.name === 'doc-editor',
    ) as { details: { after: string } } | undefined;
    expect(JSON.parse(created?.details.after ?? '{}')).toMatchObject({
      permissions: ['documents:write'],
      inherits: ['doc-reader'],
    });
  });

  it('refuses bad input clearly', async () => {
    const unknownRole = await failureOf(assign('ghost'));
    expect(unknownRole).toMatchObject({ code: status.NOT_FOUND, reason: 'ROLE_NOT_FOUND' });
    const unknownSubject = await failureOf(
      call(
        a.authorization,
        'assignRole',
        { subjectId: randomUUID(), role: 'doc-reader', resource: '', expireTime: undefined },
        bearer(owner),
      ),
    );
    expect(unknownSubject).toMatchObject({ code: status.NOT_FOUND, reason: 'SUBJECT_NOT_FOUND' });
    // Another tenant's role id (the platform tenant's owner role) is unknown here.
    const platformRoles = await call(
      a.authorization,
      'listRoles',
      { page: undefined },
      bearer(await a.adminToken()),
    );
    const foreignId = platformRoles.roles.find((role) => role.name === 'owner')!.id;
    expect((await failureOf(assign(foreignId))).reason).toBe('ROLE_NOT_FOUND');
    expect(
      (await failureOf(call(a.authorization, 'getRole', { role: foreignId }, bearer(owner)))).code,
    ).toBe(status.NOT_FOUND);

    const huge = Array.from({ length: 10_000 }, (_, i) => `documents:action-${String(i)}`);
    const tooMany = await failureOf(createRole('huge', huge));
    expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
    expect(tooMany.message).toMatch(/at most 1000 permissions per role \(got 10000\)/);
    const badPermission = await failureOf(
      createRole('bad', ['documents:read', 'Not A Permission']),
    );
    expect(badPermission.fieldViolations).toEqual(['permissions[1]']);

    const hundredOne = Array.from({ length: 101 }, () => ({
      subjectId: '',
      permission: 'profile:read',
      resource: '',
    }));
    const tooManyChecks = await failureOf(
      call(b.authorization, 'checkMany', { items: hundredOne }, bearer(memberOnB)),
    );
    expect(tooManyChecks.code).toBe(status.INVALID_ARGUMENT);
    expect(tooManyChecks.fieldViolations).toEqual(['items']);

    const cycle = await failureOf(
      call(
        a.authorization,
        'updateRole',
        { role: 'doc-reader', description: '', permissions: [], inherits: ['doc-editor'] },
        bearer(owner),
      ),
    );
    expect(cycle).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'ROLE_INHERITANCE_CYCLE',
    });
    expect(cycle.message).toContain('doc-reader -> doc-editor -> doc-reader');
    const checkOthers = await failureOf(
      call(
        b.authorization,
        'check',
        { subjectId: randomUUID(), permission: 'users:read', resource: '' },
        bearer(memberOnB),
      ),
    );
    expect(checkOthers.code).toBe(status.PERMISSION_DENIED);
  });

  it('answers through a 1 000-deep inheritance chain, and refuses closing it into a cycle', async () => {
    // Seeded directly (1 000 CreateRole calls would only test the loop); the RPCs read it.
    const ids = Array.from({ length: 1_000 }, () => randomUUID());
    const now = new Date();
    await new PgUnitOfWork(a.database.appKnex).inTenant(tenantId, ({ roles }) =>
      roles.insertRoles(
        ids.map((id, i): Role => ({
          tenantId,
          id,
          name: `level-${String(i)}`,
          description: '',
          permissions: i === 0 ? ['deep:read'] : [],
          inherits: i === 0 ? [] : [ids[i - 1]!],
          system: false,
          createdAt: now,
          updatedAt: now,
        })),
      ),
    );
    await assign('level-999');
    const started = Date.now();
    await eventually(2_000, async () => {
      const deep = await checkOnB('deep:read');
      expect(deep.allowed).toBe(true);
      expect(deep.reason?.rolePath).toHaveLength(1_000);
    });
    expect((await checkOnB('deep:write')).allowed).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    const cycle = await failureOf(
      call(
        a.authorization,
        'updateRole',
        { role: 'level-0', description: '', permissions: ['deep:read'], inherits: ['level-999'] },
        bearer(owner),
      ),
    );
    expect(cycle.reason).toBe('ROLE_INHERITANCE_CYCLE');
    expect(cycle.message).toContain('level-0 -> level-999 -> level-998');
  }, 60_000);

  it('keeps system roles and the last owner', async () => {
    const deleteOwner = await failureOf(
      call(a.authorization, 'deleteRole', { role: 'owner', force: true }, bearer(owner)),
    );
    expect(deleteOwner).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'SYSTEM_ROLE_IMMUTABLE',
    });
    const bindings = await call(
      a.authorization,
      'listRoleBindings',
      { subjectId: '', role: 'owner', page: undefined },
      bearer(owner),
    );
    expect(bindings.bindings).toHaveLength(1);
    const last = await failureOf(
      call(
        a.authorization,
        'revokeRole',
        { bindingId: bindings.bindings[0]!.id, subjectId: '', role: '', resource: '' },
        bearer(owner),
      ),
    );
    expect(last).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'LAST_OWNER' });
    const inUse = await failureOf(
      call(a.authorization, 'deleteRole', { role: 'doc-reader', force: false }, bearer(owner)),
    );
    expect(inUse.reason).toBe('ROLE_IN_USE');
    await call(a.authorization, 'deleteRole', { role: 'doc-reader', force: true }, bearer(owner));
    const editor = await call(a.authorization, 'getRole', { role: 'doc-editor' }, bearer(owner));
    expect(editor.role?.inherits).toEqual([]);
  });
});
