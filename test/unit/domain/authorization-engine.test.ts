import { describe, expect, it } from 'vitest';
import { compileTenantPolicy } from '../../../src/domain/authorization/compile-tenant-policy.js';
import type { CompiledSubject } from '../../../src/domain/authorization/policy-engine.js';
import type { BindingScope, Role, RoleBinding } from '../../../src/domain/authorization/role.js';
import { findInheritanceCycle } from '../../../src/domain/authorization/role-graph.js';
import { systemRolesFor } from '../../../src/domain/authorization/system-roles.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';

const TENANT = '0190a5e2-0000-7000-8000-000000000001';
const OTHER_TENANT = '0190a5e2-0000-7000-8000-000000000002';
const EPOCH = new Date('2026-01-01T00:00:00Z');
const NOW = new Date('2026-06-01T12:00:00Z');
const USER = 'user-1';

/** Role `name` with id `id-name`, inheriting the roles named in `inherits`. */
const role = (
  name: string,
  permissions: readonly string[],
  inherits: readonly string[] = [],
  tenantId = TENANT,
): Role => ({
  tenantId,
  id: `id-${name}`,
  name,
  description: '',
  permissions,
  inherits: inherits.map((parent) => `id-${parent}`),
  system: false,
  createdAt: EPOCH,
  updatedAt: EPOCH,
});

let bindingCounter = 0;
const bind = (
  roleName: string,
  options: {
    scope?: string;
    expiresAt?: Date;
    id?: string;
    subjectId?: string;
    tenantId?: string;
    roleId?: string;
  } = {},
): RoleBinding => ({
  tenantId: options.tenantId ?? TENANT,
  id: options.id ?? `b-${++bindingCounter}`,
  subjectId: options.subjectId ?? USER,
  subjectKind: 'user',
  roleId: options.roleId ?? `id-${roleName}`,
  scope: (options.scope === undefined
    ? { kind: 'tenant' }
    : { kind: 'resource', resource: options.scope }) satisfies BindingScope,
  expiresAt: options.expiresAt,
  createdAt: EPOCH,
});

const subject = (roles: readonly Role[], bindings: readonly RoleBinding[]): CompiledSubject =>
  compileTenantPolicy(TENANT, roles).compileSubject(USER, bindings);

describe('authorization engine: wildcards', () => {
  const roles = [
    role('reader', ['documents:read']),
    role('documents-admin', ['documents:*']),
    role('everything', ['*']),
    role('operator', ['platform:*']),
  ];

  it('an exact permission covers only itself', () => {
    const s = subject(roles, [bind('reader')]);
    expect(s.decide('documents:read', undefined, NOW).allowed).toBe(true);
    expect(s.decide('documents:write', undefined, NOW).allowed).toBe(false);
    expect(s.decide('documents-x:read', undefined, NOW).allowed).toBe(false);
  });

  it('resource:* covers every action of that resource only', () => {
    const s = subject(roles, [bind('documents-admin')]);
    const decision = s.decide('documents:delete', undefined, NOW);
    expect(decision).toMatchObject({ allowed: true, matchedPermission: 'documents:*' });
    expect(s.decide('documents:*', undefined, NOW).allowed).toBe(true);
    expect(s.decide('document:read', undefined, NOW).allowed).toBe(false);
    expect(s.decide('folders:read', undefined, NOW).allowed).toBe(false);
  });

  it('* covers everything but platform: permissions; platform:* covers those', () => {
    const s = subject(roles, [bind('everything')]);
    expect(s.decide('anything:at-all', undefined, NOW)).toMatchObject({
      allowed: true,
      matchedPermission: '*',
    });
    const platform = s.decide('platform:admin', undefined, NOW);
    expect(platform.allowed).toBe(false);
    expect(platform.summary).toBe(
      'no binding grants platform:admin tenant-wide (a bare * never covers platform: permissions)',
    );
    const operator = subject(roles, [bind('operator')]);
    expect(operator.decide('platform:admin', undefined, NOW)).toMatchObject({
      allowed: true,
      matchedPermission: 'platform:*',
    });
  });

  it('prefers the most specific permission of one binding', () => {
    const s = subject([role('mixed', ['*', 'documents:*', 'documents:read'])], [bind('mixed')]);
    expect(s.decide('documents:read', undefined, NOW).matchedPermission).toBe('documents:read');
    expect(s.decide('documents:write', undefined, NOW).matchedPermission).toBe('documents:*');
    expect(s.decide('folders:read', undefined, NOW).matchedPermission).toBe('*');
  });
  it('matches odd stored permissions exactly as permissionCovers does', () => {
    const s = subject([role('odd', ['a:b:*', 'plain', ':*'])], [bind('odd')]);
    expect(s.decide('a:b:c', undefined, NOW).matchedPermission).toBe('a:b:*');
    expect(s.decide('a:c', undefined, NOW).allowed).toBe(false);
    expect(s.decide('plain', undefined, NOW).allowed).toBe(true);
    expect(s.decide(':x', undefined, NOW).matchedPermission).toBe(':*');
  });
});

describe('authorization engine: inheritance', () => {
  it('follows a 1 000-deep chain (iteratively) with the whole path as the reason', () => {
    const depth = 1_000;
    const roles = Array.from({ length: depth }, (_, i) =>
      role(`r${i}`, [`level-${i}:read`], i + 1 < depth ? [`r${i + 1}`] : []),
    );
    const s = subject(roles, [bind('r0', { id: 'b-top' })]);
    const decision = s.decide(`level-${depth - 1}:read`, undefined, NOW);
    expect(decision.allowed).toBe(true);
    expect(decision.bindingId).toBe('b-top');
    expect(decision.rolePath).toEqual(roles.map((r) => r.name));
    expect(s.permissions(undefined, NOW)).toHaveLength(depth);
    expect(s.decide('level-1000:read', undefined, NOW).allowed).toBe(false);
    // bound in the middle: only what is below
    const middle = subject(roles, [bind('r500')]);
    expect(middle.decide('level-499:read', undefined, NOW).allowed).toBe(false);
    expect(middle.decide('level-999:read', undefined, NOW).rolePath).toHaveLength(500);
  });

  it('handles a diamond (shared base reached twice) with the shortest path', () => {
    const roles = [
      role('top', ['top:do'], ['left', 'right']),
      role('left', ['left:do'], ['base']),
      role('right', ['right:do'], ['middle']),
      role('middle', [], ['base']),
      role('base', ['base:do']),
    ];
    const s = subject(roles, [bind('top')]);
    expect(s.decide('base:do', undefined, NOW).rolePath).toEqual(['top', 'left', 'base']);
    expect(s.decide('right:do', undefined, NOW).rolePath).toEqual(['top', 'right']);
    expect(s.decide('top:do', undefined, NOW).rolePath).toEqual(['top']);
    expect(s.permissions(undefined, NOW)).toEqual(['base:do', 'left:do', 'right:do', 'top:do']);
  });

  it('ignores unknown inherited ids and other tenants roles', () => {
    const roles = [
      role('a', ['a:do'], ['ghost', 'foreign']),
      role('foreign', ['foreign:do'], [], OTHER_TENANT),
    ];
    const s = subject(roles, [bind('a'), bind('foreign')]);
    expect(s.permissions(undefined, NOW)).toEqual(['a:do']);
    expect(s.decide('foreign:do', undefined, NOW).allowed).toBe(false);
  });

  it('never hangs or throws on a stored cycle: the edge closing it is ignored', () => {
    const roles = [
      role('a', ['a:do'], ['b']),
      role('b', ['b:do'], ['a']),
      role('self', ['s:do'], ['self']),
    ];
    const s = subject(roles, [bind('a'), bind('self')]);
    expect(s.permissions(undefined, NOW)).toEqual(['a:do', 'b:do', 's:do']);
    expect(s.decide('b:do', undefined, NOW).rolePath).toEqual(['a', 'b']);
  });

  it('compiles a 10 000-permission role', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `res${i}:read`);
    const s = subject([role('big', many), role('above', [], ['big'])], [bind('above')]);
    expect(s.decide('res9999:read', undefined, NOW).rolePath).toEqual(['above', 'big']);
    expect(s.permissions(undefined, NOW)).toHaveLength(10_000);
  });
});

describe('authorization engine: compile cost', () => {
  const chain = (depth: number, perRole: number): Role[] =>
    Array.from({ length: depth }, (_, i) =>
      role(
        `r${i}`,
        Array.from({ length: perRole }, (_, j) => `res${i}:act${j}`),
        i + 1 < depth ? [`r${i + 1}`] : [],
      ),
    );

  it('compiles a 1 000-role chain of 100 permissions each in one closure, not one per role', () => {
    const policy = compileTenantPolicy(TENANT, chain(1_000, 100));
    const s = policy.compileSubject(USER, [bind('r0', { id: 'b-top' })]);
    // Only the bound role's closure: 100 000 entries (one per permission reached), where
    // building every intermediate role's closure would have taken ~50 million.
    expect(policy.closureEntries).toBe(100_000);
    const decision = s.decide('res999:act99', undefined, NOW);
    expect(decision).toMatchObject({ allowed: true, bindingId: 'b-top' });
    expect(decision.rolePath).toHaveLength(1_000);
    expect(decision.rolePath[999]).toBe('r999');
    expect(s.decide('res999:act100', undefined, NOW).allowed).toBe(false);
    expect(s.permissions(undefined, NOW)).toHaveLength(100_000);
    // Another subject bound lower down: that role's closure only, then both are shared.
    policy.compileSubject('user-2', [bind('r500', { subjectId: 'user-2' })]);
    expect(policy.closureEntries).toBe(150_000);
    policy.compileSubject('user-3', [bind('r0', { subjectId: 'user-3' })]);
    expect(policy.closureEntries).toBe(150_000);
  });

  it('breaks ties between shortest paths by the earlier inherits entry, at every level', () => {
    const roles = [
      role('top', [], ['a', 'b']),
      role('a', [], ['a1', 'a2']),
      role('b', ['b:own'], ['b1']),
      role('a1', []),
      role('a2', ['deep:do', 'shared:do'], ['leaf']),
      role('b1', ['deep:do', 'b1:do', 'shared:do']),
      role('leaf', ['leaf:do', 'b1:do']),
    ];
    const s = subject(roles, [bind('top')]);
    // Same depth through a and through b: a is the earlier entry.
    expect(s.decide('deep:do', undefined, NOW).rolePath).toEqual(['top', 'a', 'a2']);
    expect(s.decide('shared:do', undefined, NOW).rolePath).toEqual(['top', 'a', 'a2']);
    // Shorter through b wins over the earlier but deeper a > a2 > leaf.
    expect(s.decide('b1:do', undefined, NOW).rolePath).toEqual(['top', 'b', 'b1']);
    expect(s.decide('leaf:do', undefined, NOW).rolePath).toEqual(['top', 'a', 'a2', 'leaf']);
  });

  it('lists a closure with a limit and the roles whose closures contain a role', () => {
    const roles = [
      role('top', ['t:1'], ['mid', 'side']),
      role('mid', ['m:1', 'shared:1'], ['base']),
      role('side', ['s:1'], ['base']),
      role('base', ['b:1', 'shared:1']),
      role('other', ['o:1', 'o:2'], ['side']),
      role('alone', []),
    ];
    const policy = compileTenantPolicy(TENANT, roles);
    expect(policy.closurePermissions('id-top')).toEqual(['b:1', 'm:1', 's:1', 'shared:1', 't:1']);
    expect(policy.closurePermissions('id-top', 3)).toHaveLength(4);
    expect(policy.closurePermissions('id-top', 5)).toHaveLength(5);
    expect(policy.closurePermissions('id-ghost')).toBeUndefined();
    expect(policy.topmostInheritors('id-base')).toEqual(['id-top', 'id-other']);
    expect(policy.topmostInheritors('id-mid')).toEqual(['id-top']);
    expect(policy.topmostInheritors('id-alone')).toEqual(['id-alone']);
    expect(policy.topmostInheritors('id-ghost')).toEqual([]);
    // Nothing was cached for the subjects.
    expect(policy.closureEntries).toBe(0);
  });
});

describe('authorization engine: scopes', () => {
  const roles = [role('editor', ['documents:read', 'documents:write'])];

  it('a tenant-wide binding covers the tenant and every resource', () => {
    const s = subject(roles, [bind('editor')]);
    expect(s.decide('documents:write', undefined, NOW).allowed).toBe(true);
    expect(s.decide('documents:write', 'documents/7', NOW).allowed).toBe(true);
    expect(s.decide('documents:write', 'folders/1', NOW).allowed).toBe(true);
  });

  it('a resource binding covers that exact resource only', () => {
    const s = subject(roles, [bind('editor', { scope: 'documents/7', id: 'b-doc7' })]);
    expect(s.decide('documents:write', 'documents/7', NOW)).toMatchObject({
      allowed: true,
      bindingId: 'b-doc7',
      summary: 'binding b-doc7 grants documents:write on documents/7 via editor (documents:write)',
    });
    expect(s.decide('documents:write', 'documents/8', NOW).summary).toBe(
      'no binding grants documents:write on documents/8',
    );
    expect(s.decide('documents:write', 'documents/70', NOW).allowed).toBe(false);
    expect(s.decide('documents:write', undefined, NOW).summary).toBe(
      'no binding grants documents:write tenant-wide',
    );
    expect(s.permissions('documents/7', NOW)).toEqual(['documents:read', 'documents:write']);
    expect(s.permissions('documents/8', NOW)).toEqual([]);
    expect(s.permissions(undefined, NOW)).toEqual([]);
  });

  it('the effective set of a resource unites tenant-wide and resource grants', () => {
    const s = subject(
      [...roles, role('viewer', ['documents:read', 'comments:read'])],
      [bind('viewer'), bind('editor', { scope: 'documents/7' })],
    );
    expect(s.permissions('documents/7', NOW)).toEqual([
      'comments:read',
      'documents:read',
      'documents:write',
    ]);
    expect(s.permissions('documents/8', NOW)).toEqual(['comments:read', 'documents:read']);
  });

  it('ignores bindings of another subject or tenant and unusable scopes', () => {
    const odd = { ...bind('editor'), scope: { kind: 'galaxy' } } as unknown as RoleBinding;
    const s = subject(roles, [
      bind('editor', { subjectId: 'someone-else' }),
      bind('editor', { tenantId: OTHER_TENANT }),
      bind('editor', { roleId: 'id-unknown' }),
      odd,
    ]);
    expect(s.decide('documents:read', 'documents/1', NOW).allowed).toBe(false);
    expect(s.permissions(undefined, NOW)).toEqual([]);
  });
});

describe('authorization engine: expiry', () => {
  const roles = [role('editor', ['documents:write']), role('viewer', ['documents:read'])];
  const at = new Date('2026-06-01T12:00:00.000Z');
  const before = new Date(at.getTime() - 1);

  it('grants until expiresAt, exclusive: nothing at the boundary', () => {
    const s = subject(roles, [bind('editor', { id: 'b-temp', expiresAt: at })]);
    expect(s.decide('documents:write', undefined, before)).toMatchObject({
      allowed: true,
      expiresAt: at,
    });
    const expired = s.decide('documents:write', undefined, at);
    expect(expired.allowed).toBe(false);
    expect(expired.summary).toBe(
      'binding b-temp expired at 2026-06-01T12:00:00.000Z; no other binding grants documents:write tenant-wide',
    );
    expect(s.permissions(undefined, before)).toEqual(['documents:write']);
    expect(s.permissions(undefined, at)).toEqual([]);
  });

  it('prefers a binding that never expires, then the one expiring latest, then the smallest id', () => {
    const later = new Date(at.getTime() + 60_000);
    const s = subject(roles, [
      bind('editor', { id: 'b-1', expiresAt: at }),
      bind('editor', { id: 'b-2', expiresAt: later, scope: 'documents/7' }),
      bind('editor', { id: 'b-3', expiresAt: later }),
    ]);
    expect(s.decide('documents:write', 'documents/7', before).bindingId).toBe('b-2');
    expect(s.decide('documents:write', 'documents/8', before).bindingId).toBe('b-3');
    expect(s.decide('documents:write', undefined, at).bindingId).toBe('b-3');
    expect(s.decide('documents:write', undefined, later).summary).toMatch(
      /^binding b-3 expired at /,
    );
    const forever = subject(roles, [
      bind('editor', { id: 'b-0', expiresAt: later }),
      bind('editor', { id: 'b-9' }),
    ]);
    expect(forever.decide('documents:write', undefined, before)).toMatchObject({
      bindingId: 'b-9',
      expiresAt: undefined,
    });
  });

  it('tells the time window an answer holds in', () => {
    const s = subject(roles, [bind('editor', { id: 'b-temp', expiresAt: at }), bind('viewer')]);
    expect(s.answer('documents:write', undefined, before.getTime())).toMatchObject({
      decision: { allowed: true, bindingId: 'b-temp' },
      fromMs: Number.NEGATIVE_INFINITY,
      untilMs: at.getTime(),
    });
    expect(s.answer('documents:write', undefined, at.getTime())).toMatchObject({
      decision: { allowed: false },
      fromMs: at.getTime(),
      untilMs: Number.POSITIVE_INFINITY,
    });
    expect(s.answer('documents:read', undefined, at.getTime())).toMatchObject({
      decision: { allowed: true },
      untilMs: Number.POSITIVE_INFINITY,
    });
    expect(s.answer('billing:write', undefined, at.getTime())).toMatchObject({
      decision: { allowed: false },
      fromMs: Number.NEGATIVE_INFINITY,
      untilMs: Number.POSITIVE_INFINITY,
    });
  });

  it('an expired binding leaves the others working', () => {
    const s = subject(roles, [bind('editor', { expiresAt: at }), bind('viewer')]);
    expect(s.decide('documents:read', undefined, at).allowed).toBe(true);
    expect(s.decide('documents:write', undefined, at).allowed).toBe(false);
    expect(s.permissions(undefined, at)).toEqual(['documents:read']);
  });

  it('treats an unreadable expiry as expired and an invalid now as granting nothing', () => {
    const s = subject(roles, [bind('editor', { id: 'b-bad', expiresAt: new Date(Number.NaN) })]);
    expect(s.decide('documents:write', undefined, NOW).summary).toMatch(
      /^binding b-bad expired at an unreadable time/,
    );
    const ok = subject(roles, [bind('editor')]);
    expect(ok.decide('documents:write', undefined, new Date(Number.NaN)).allowed).toBe(false);
  });
});

describe('authorization engine: many bindings in one scope (merged)', () => {
  it('answers like a few bindings do, preferring the latest expiry', () => {
    const roles = Array.from({ length: 8 }, (_, i) =>
      role(`r${i}`, [`res${i}:read`, 'shared:read']),
    );
    const at = new Date(NOW.getTime() + 1_000);
    const bindings = roles.map((r, i) =>
      bind(r.name, { id: `b-${i}`, ...(i === 3 ? {} : { expiresAt: new Date(at.getTime() + i) }) }),
    );
    bindings.push(bind('r0', { id: 'b-odd', scope: 'docs/1' }));
    for (let i = 0; i < 6; i++)
      bindings.push(bind(`r${i}`, { id: `c-${i}`, scope: 'docs/2', expiresAt: at }));
    const s = subject(
      [...roles, role('stars', ['*', 'res7:*'])],
      [...bindings, bind('stars', { id: 'b-star', expiresAt: NOW })],
    );
    expect(s.decide('shared:read', undefined, NOW).bindingId).toBe('b-3');
    expect(s.decide('res7:read', undefined, NOW)).toMatchObject({
      bindingId: 'b-7',
      matchedPermission: 'res7:read',
    });
    expect(s.decide('res5:read', 'docs/2', NOW).bindingId).toBe('b-5');
    expect(s.decide('res5:read', 'docs/2', new Date(at.getTime() + 10)).allowed).toBe(false);
    expect(s.decide('res3:read', 'docs/2', new Date(at.getTime() + 10)).bindingId).toBe('b-3');
    expect(s.permissions('docs/2', new Date(at.getTime() + 10))).toEqual([
      'res3:read',
      'shared:read',
    ]);
    expect(s.permissions(undefined, NOW)).toEqual([
      ...roles.map((_, i) => `res${i}:read`),
      'shared:read',
    ]);
    expect(s.decide('other:read', undefined, NOW).summary).toMatch(/^binding b-star expired at /);
  });
});

describe('authorization engine: system roles', () => {
  let n = 0;
  const newId = (): string => `sys-${++n}`;

  const bindSystem = (roles: readonly Role[], name: string): RoleBinding => {
    const found = roles.find((r) => r.name === name);
    if (found === undefined) throw new Error(name);
    return bind(name, { roleId: found.id });
  };

  it('owner has everything but platform:, admin all but ownership and billing, member reads', () => {
    const roles = systemRolesFor(TENANT, newId, EPOCH);
    const policy = compileTenantPolicy(TENANT, roles);
    const owner = policy.compileSubject(USER, [bindSystem(roles, 'owner')]);
    const admin = policy.compileSubject(USER, [bindSystem(roles, 'admin')]);
    const member = policy.compileSubject(USER, [bindSystem(roles, 'member')]);
    expect(owner.decide('billing:write', undefined, NOW)).toMatchObject({
      allowed: true,
      rolePath: ['owner'],
    });
    expect(owner.decide('platform:admin', undefined, NOW).allowed).toBe(false);
    expect(admin.decide('users:write', undefined, NOW)).toMatchObject({
      allowed: true,
      matchedPermission: 'users:*',
    });
    expect(admin.decide('billing:write', undefined, NOW).allowed).toBe(false);
    expect(admin.decide('tenant:transfer-ownership', undefined, NOW).allowed).toBe(false);
    expect(member.decide('profile:read', undefined, NOW).allowed).toBe(true);
    expect(member.decide('tenant:write', undefined, NOW).allowed).toBe(false);
    expect(member.permissions(undefined, NOW)).toEqual([
      'profile:read',
      'sessions:read-own',
      'tenant:read',
    ]);
  });

  it('platform tenant owners and admins operate the platform', () => {
    const roles = systemRolesFor(PLATFORM_TENANT_ID, newId, EPOCH);
    const policy = compileTenantPolicy(PLATFORM_TENANT_ID, roles);
    const at = (name: string): CompiledSubject =>
      policy.compileSubject(USER, [{ ...bindSystem(roles, name), tenantId: PLATFORM_TENANT_ID }]);
    expect(at('owner').decide('platform:admin', undefined, NOW).matchedPermission).toBe(
      'platform:*',
    );
    expect(at('admin').decide('platform:admin', undefined, NOW).matchedPermission).toBe(
      'platform:admin',
    );
    expect(at('member').decide('platform:admin', undefined, NOW).allowed).toBe(false);
  });

  it('custom roles may inherit system roles', () => {
    const roles = systemRolesFor(TENANT, newId, EPOCH);
    const memberId = roles.find((r) => r.name === 'member')?.id ?? '';
    const auditor: Role = { ...role('auditor', ['audit:read']), inherits: [memberId] };
    const s = subject([...roles, auditor], [bind('auditor')]);
    expect(s.decide('profile:read', undefined, NOW).rolePath).toEqual(['auditor', 'member']);
  });
});

describe('authorization engine: reasons', () => {
  it('an allowed decision names the binding, the role path and the matched permission', () => {
    const roles = [
      role('project-lead', [], ['editor']),
      role('editor', ['documents:write'], ['viewer']),
      role('viewer', ['documents:read']),
    ];
    const s = subject(roles, [bind('project-lead', { id: 'b-42', scope: 'documents/7' })]);
    expect(s.decide('documents:read', 'documents/7', NOW)).toEqual({
      allowed: true,
      bindingId: 'b-42',
      rolePath: ['project-lead', 'editor', 'viewer'],
      matchedPermission: 'documents:read',
      expiresAt: undefined,
      summary:
        'binding b-42 grants documents:read on documents/7 via project-lead > editor > viewer (documents:read)',
    });
  });

  it('a denied decision says why, and carries no binding', () => {
    const s = subject([role('viewer', ['documents:read'])], [bind('viewer')]);
    expect(s.decide('documents:write', 'documents/7', NOW)).toEqual({
      allowed: false,
      bindingId: undefined,
      rolePath: [],
      matchedPermission: undefined,
      summary: 'no binding grants documents:write on documents/7',
    });
    const nobody = subject([], []);
    expect(nobody.decide('documents:read', undefined, NOW).summary).toBe(
      'no binding grants documents:read tenant-wide',
    );
  });
});

describe('authorization engine: odd stored data never throws', () => {
  it('tolerates missing lists, duplicate ids, null expiry and null scope', () => {
    const odd = [
      { ...role('a', []), permissions: null, inherits: 'id-b' },
      role('b', ['b:do']),
      { ...role('b', ['shadowed:do']) },
      { ...role('c', ['c:do']), inherits: [42, null, 'id-b'] },
    ] as unknown as Role[];
    const bindings = [
      { ...bind('c'), expiresAt: null },
      { ...bind('b'), scope: null },
      bind('a'),
    ] as unknown as RoleBinding[];
    const s = subject(odd, bindings);
    expect(s.permissions(undefined, NOW)).toEqual(['b:do', 'c:do']);
    expect(s.decide('b:do', undefined, NOW).rolePath).toEqual(['c', 'b']);
    expect(s.decide('shadowed:do', undefined, NOW).allowed).toBe(false);
  });
});

describe('authorization engine: the README example', () => {
  it('custom hierarchy, an expiring resource binding, reasons, and the cycle refused', () => {
    const roles = [
      role('viewer', ['documents:read', 'comments:read']),
      role('editor', ['documents:write'], ['viewer']),
      role('project-lead', ['documents:share'], ['editor']),
    ];
    const until = new Date('2026-10-01T00:00:00Z');
    const s = subject(roles, [
      bind('project-lead', { id: 'b-ada', scope: 'documents/q3-report', expiresAt: until }),
    ]);
    expect(s.decide('documents:read', 'documents/q3-report', NOW)).toMatchObject({
      allowed: true,
      rolePath: ['project-lead', 'editor', 'viewer'],
      matchedPermission: 'documents:read',
      summary:
        'binding b-ada grants documents:read on documents/q3-report via project-lead > editor > viewer (documents:read)',
    });
    expect(s.decide('documents:read', 'documents/q4-plan', NOW).summary).toBe(
      'no binding grants documents:read on documents/q4-plan',
    );
    expect(s.decide('documents:read', undefined, NOW).summary).toBe(
      'no binding grants documents:read tenant-wide',
    );
    expect(s.decide('documents:read', 'documents/q3-report', until).summary).toBe(
      'binding b-ada expired at 2026-10-01T00:00:00.000Z; no other binding grants documents:read on documents/q3-report',
    );
    expect(s.permissions('documents/q3-report', NOW)).toEqual([
      'comments:read',
      'documents:read',
      'documents:share',
      'documents:write',
    ]);
    const changed = roles.map((r) =>
      r.name === 'viewer' ? role('viewer', r.permissions, ['project-lead']) : r,
    );
    expect(findInheritanceCycle(changed, 'id-viewer')).toEqual([
      'viewer',
      'project-lead',
      'editor',
      'viewer',
    ]);
  });
});
