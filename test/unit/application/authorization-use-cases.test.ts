import { beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/application/shared/actor.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import { TENANT_A_ID, TENANT_B_ID } from '../../mothers/tenant.mother.js';
import { authorizationWorld, type AuthorizationWorld } from './authorization-fixture.js';

const role = (name: string, permissions: string[], inherits: string[] = []) => ({
  name,
  description: `${name} role`,
  permissions,
  inherits,
});

describe('authorization use cases (memory adapters)', () => {
  let world: AuthorizationWorld;
  let owner: Actor;
  let admin: Actor;
  let member: Actor;

  beforeEach(async () => {
    world = await authorizationWorld();
    owner = world.actor(await world.user(TENANT_A_ID, ['owner']));
    admin = world.actor(await world.user(TENANT_A_ID, ['admin']));
    member = world.actor(await world.user(TENANT_A_ID, ['member']));
  });

  const check = (actor: Actor, permission: string, resource = '', subjectId = '') =>
    world.pdp.check(actor, { subjectId, permission, resource });
  const errorOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return error as { code: string; message: string; category: string };
    }
    throw new Error('expected a failure');
  };

  describe('RoleAdmin', () => {
    it('creates a role hierarchy whose permissions the engine grants, audited and announced', async () => {
      await world.roles.create(admin, role('reader', ['documents:read']));
      const editor = await world.roles.create(
        admin,
        role('editor', ['documents:write'], ['reader']),
      );
      expect(editor.inherits).toEqual(['reader']);
      expect(editor.role).toMatchObject({ name: 'editor', system: false });
      await world.bindings.assign(admin, {
        subjectId: member.principal.subjectId,
        role: 'editor',
        resource: '',
        expiresAt: undefined,
      });
      const allowed = await check(member, 'documents:read');
      expect(allowed).toMatchObject({ allowed: true, rolePath: ['editor', 'reader'] });
      expect((await check(member, 'documents:delete')).allowed).toBe(false);
      const events = await world.audit.list(TENANT_A_ID, 100);
      expect(events.map((event) => event.action)).toEqual([
        'authz.role.created',
        'authz.role.created',
        'authz.binding.created',
      ]);
      expect(events[1]?.details.after).toContain('documents:write');
      expect(world.announced.length).toBe(3);
      expect(world.announced.every((change) => change.tenantId === TENANT_A_ID)).toBe(true);
    });

    it('validates names, permissions (naming the bad one) and their count', async () => {
      expect((await errorOf(world.roles.create(admin, role('Bad Name', [])))).code).toBe(
        'INVALID_ARGUMENT',
      );
      const bad = await errorOf(world.roles.create(admin, role('x', ['documents:read', 'NOPE'])));
      expect(bad.message).toMatch(/^permissions\[1\]: "NOPE"/);
      const many = Array.from({ length: 10_000 }, (_, i) => `documents:action-${String(i)}`);
      const tooMany = await errorOf(world.roles.create(admin, role('huge', many)));
      expect(tooMany.message).toMatch(/at most 1000 permissions per role \(got 10000\)/);
      const platform = await errorOf(world.roles.create(owner, role('p', ['platform:admin'])));
      expect(platform.message).toMatch(/platform permissions exist only in the platform tenant/);
      const taken = await errorOf(world.roles.create(admin, role('admin', [])));
      expect(taken.code).toBe('ROLE_NAME_TAKEN');
    });

    it("names unknown inherited roles, another tenant's role id included", async () => {
      const missing = await errorOf(world.roles.create(admin, role('x', [], ['nobody'])));
      expect(missing).toMatchObject({ code: 'ROLE_NOT_FOUND' });
      expect(missing.message).toContain('"nobody"');
      const bAdmin = world.actor(await world.user(TENANT_B_ID, ['admin']), TENANT_B_ID);
      const inB = await world.roles.create(bAdmin, role('b-only', ['documents:read']));
      const cross = await errorOf(world.roles.create(admin, role('x', [], [inB.role.id])));
      expect(cross.code).toBe('ROLE_NOT_FOUND');
      expect((await errorOf(world.roles.get(admin, inB.role.id))).code).toBe('ROLE_NOT_FOUND');
    });

    it('refuses a change that would close a cycle, naming it', async () => {
      await world.roles.create(admin, role('a', ['documents:read']));
      await world.roles.create(admin, role('b', [], ['a']));
      const cycle = await errorOf(
        world.roles.update(admin, { role: 'a', description: '', permissions: [], inherits: ['b'] }),
      );
      expect(cycle).toMatchObject({
        code: 'ROLE_INHERITANCE_CYCLE',
        category: 'failed_precondition',
      });
      expect(cycle.message).toContain('a -> b -> a');
      const self = await errorOf(
        world.roles.update(admin, { role: 'a', description: '', permissions: [], inherits: ['a'] }),
      );
      expect(self.code).toBe('ROLE_INHERITANCE_CYCLE');
    });

    it('keeps system roles fixed and refuses to delete a role in use unless forced', async () => {
      const fixed = await errorOf(
        world.roles.update(admin, {
          role: 'member',
          description: '',
          permissions: ['*'],
          inherits: [],
        }),
      );
      expect(fixed.code).toBe('SYSTEM_ROLE_IMMUTABLE');
      expect((await errorOf(world.roles.delete(owner, { role: 'owner', force: true }))).code).toBe(
        'SYSTEM_ROLE_IMMUTABLE',
      );
      await world.roles.create(admin, role('base', ['documents:read']));
      await world.roles.create(admin, role('child', [], ['base']));
      await world.bindings.assign(admin, {
        subjectId: member.principal.subjectId,
        role: 'base',
        resource: 'documents/1',
        expiresAt: undefined,
      });
      const inUse = await errorOf(world.roles.delete(admin, { role: 'base', force: false }));
      expect(inUse.code).toBe('ROLE_IN_USE');
      expect(inUse.message).toContain('child');
      await world.roles.delete(admin, { role: 'base', force: true });
      expect((await world.roles.get(admin, 'child')).inherits).toEqual([]);
      expect((await check(member, 'documents:read', 'documents/1')).allowed).toBe(false);
      const deleted = (await world.audit.list(TENANT_A_ID, 100)).at(-1);
      expect(deleted).toMatchObject({
        action: 'authz.role.deleted',
        details: { name: 'base', force: true, removedBindings: 1, removedInheritedBy: 'child' },
      });
    });

    it('updates a role with before and after in the audit log, and lists roles by name page by page', async () => {
      await world.roles.create(admin, role('viewer', ['documents:read']));
      await world.roles.update(admin, {
        role: 'viewer',
        description: 'sees more',
        permissions: ['documents:read', 'reports:read'],
        inherits: [],
      });
      const updated = (await world.audit.list(TENANT_A_ID, 100)).at(-1);
      expect(updated?.action).toBe('authz.role.updated');
      expect(updated?.details.before).not.toContain('reports:read');
      expect(updated?.details.after).toContain('reports:read');
      const names: string[] = [];
      let after: string | undefined;
      do {
        const page = await world.roles.list(admin, { pageSize: 2, after });
        names.push(...page.items.map((view) => view.role.name));
        after = page.nextAfter;
      } while (after !== undefined);
      expect(names).toEqual(['admin', 'member', 'owner', 'viewer']);
    });

    it('does not let an admin mint or hand out what it does not hold', async () => {
      const escalation = await errorOf(world.roles.create(admin, role('god', ['*'])));
      expect(escalation).toMatchObject({
        code: 'PERMISSION_ESCALATION',
        category: 'permission_denied',
      });
      const viaInherit = await errorOf(world.roles.create(admin, role('sneaky', [], ['owner'])));
      expect(viaInherit.code).toBe('PERMISSION_ESCALATION');
      const assignOwner = await errorOf(
        world.bindings.assign(admin, {
          subjectId: member.principal.subjectId,
          role: 'owner',
          resource: '',
          expiresAt: undefined,
        }),
      );
      expect(assignOwner.code).toBe('PERMISSION_ESCALATION');
      await expect(world.roles.create(owner, role('god', ['*']))).resolves.toBeDefined();
    });
  });

  describe('RoleAdmin audit and limits', () => {
    it('records the deleted role with its inherited names and the removed binding ids', async () => {
      await world.roles.create(owner, role('base', ['documents:read']));
      await world.roles.create(owner, role('kid', [], ['base']));
      const bound = await world.bindings.assign(owner, {
        subjectId: member.principal.subjectId,
        role: 'kid',
        resource: '',
        expiresAt: undefined,
      });
      await world.roles.delete(owner, { role: 'kid', force: true });
      const event = (await world.audit.list(TENANT_A_ID, 100)).at(-1);
      expect(event?.action).toBe('authz.role.deleted');
      expect(JSON.parse(String(event?.details.before))).toMatchObject({ inherits: ['base'] });
      expect(event?.details.removedBindingIds).toBe(bound.binding.id);
    });

    it('caps the inheritance cycle in its error and the length of permissions', async () => {
      const names = Array.from({ length: 30 }, (_, i) => `c${String(i)}`);
      for (const [i, name] of names.entries()) {
        await world.roles.create(owner, role(name, [], i === 0 ? [] : [names[i - 1] ?? '']));
      }
      const cycle = await errorOf(
        world.roles.update(owner, { ...role('c0', [], ['c29']), role: 'c0' }),
      );
      expect(cycle.code).toBe('ROLE_INHERITANCE_CYCLE');
      expect(cycle.message.length).toBeLessThan(300);
      const long = await errorOf(
        world.roles.create(owner, role('long', ['documents:read', `${'a'.repeat(129)}:read`])),
      );
      expect(long.message).toMatch(/^permissions\[1\]:/);
    });
  });

  describe('refusals are audited', () => {
    it('records a denied event for an escalation or last-owner refusal', async () => {
      const escalation = await errorOf(
        world.bindings.assign(admin, {
          subjectId: member.principal.subjectId,
          role: 'owner',
          resource: '',
          expiresAt: undefined,
        }),
      );
      expect(escalation.code).toBe('PERMISSION_ESCALATION');
      const last = await errorOf(
        world.bindings.revoke(owner, {
          bindingId: '',
          subjectId: owner.principal.subjectId,
          role: 'owner',
          resource: '',
        }),
      );
      expect(last.code).toBe('LAST_OWNER');
      await errorOf(world.roles.create(admin, role('godlike', ['*'])));
      expect(
        world.recorder.events.map((event) => [event.action, event.outcome, event.details.reason]),
      ).toEqual([
        ['authz.binding.created', 'denied', 'PERMISSION_ESCALATION'],
        ['authz.binding.revoked', 'denied', 'LAST_OWNER'],
        ['authz.role.created', 'denied', 'PERMISSION_ESCALATION'],
      ]);
      expect(await world.audit.list(TENANT_A_ID, 100)).toEqual([]);
    });

    it('records the denial of a platform method called from outside the platform tenant', async () => {
      await expect(
        Promise.resolve().then(() => world.checker.check(owner, { kind: 'platform' })),
      ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      expect(world.recorder.events).toMatchObject([
        {
          action: 'authz.check.denied',
          outcome: 'denied',
          tenantId: TENANT_A_ID,
          details: { permission: 'platform:admin' },
        },
      ]);
    });
  });

  describe('BindingAdmin', () => {
    it('assigns tenant-wide, resource-scoped and expiring bindings that the engine honours', async () => {
      await world.roles.create(admin, role('doc-editor', ['documents:write']));
      const subjectId = member.principal.subjectId;
      await world.bindings.assign(admin, {
        subjectId,
        role: 'doc-editor',
        resource: 'documents/7',
        expiresAt: undefined,
      });
      expect((await check(member, 'documents:write', 'documents/7')).allowed).toBe(true);
      expect((await check(member, 'documents:write', 'documents/8')).allowed).toBe(false);
      expect((await check(member, 'documents:write')).allowed).toBe(false);
      const expires = new Date(world.clock.now().getTime() + 60_000);
      const timed = await world.bindings.assign(admin, {
        subjectId,
        role: 'doc-editor',
        resource: '',
        expiresAt: expires,
      });
      expect(timed.binding.expiresAt).toEqual(expires);
      expect((await check(member, 'documents:write', 'documents/8')).allowed).toBe(true);
      world.clock.advance(60_000);
      expect((await check(member, 'documents:write', 'documents/8')).allowed).toBe(false);
    });

    it('returns the existing binding for the same assignment and refuses bad input', async () => {
      const input = {
        subjectId: member.principal.subjectId,
        role: 'admin',
        resource: '',
        expiresAt: undefined,
      };
      const first = await world.bindings.assign(owner, input);
      const announced = world.announced.length;
      const again = await world.bindings.assign(owner, input);
      expect(again.binding.id).toBe(first.binding.id);
      // Nothing changed: no announcement, no second audit event.
      expect(world.announced.length).toBe(announced);
      expect((await world.audit.list(TENANT_A_ID, 100)).map((event) => event.action)).toEqual([
        'authz.binding.created',
      ]);
      const unknownSubject = await errorOf(
        world.bindings.assign(owner, {
          ...input,
          subjectId: '0c000000-0000-4000-8000-0000000000ee',
        }),
      );
      expect(unknownSubject.code).toBe('SUBJECT_NOT_FOUND');
      expect((await errorOf(world.bindings.assign(owner, { ...input, role: 'ghost' }))).code).toBe(
        'ROLE_NOT_FOUND',
      );
      const past = await errorOf(
        world.bindings.assign(owner, {
          ...input,
          expiresAt: new Date(world.clock.now().getTime() - 1),
        }),
      );
      expect(past.message).toMatch(/^expire_time:/);
      for (const expiresAt of [new Date(1e15 * 1000), new Date(Date.UTC(10_000, 0, 1))]) {
        const invalid = await errorOf(world.bindings.assign(owner, { ...input, expiresAt }));
        expect(invalid.message).toMatch(/^expire_time:/);
      }
      const resource = await errorOf(
        world.bindings.assign(owner, { ...input, resource: 'no-slash' }),
      );
      expect(resource.message).toMatch(/^resource:/);
    });

    it('revokes by id or by subject and role, but never the last owner', async () => {
      const ownerId = owner.principal.subjectId;
      const last = await errorOf(
        world.bindings.revoke(owner, {
          bindingId: '',
          subjectId: ownerId,
          role: 'owner',
          resource: '',
        }),
      );
      expect(last).toMatchObject({ code: 'LAST_OWNER', category: 'failed_precondition' });
      const second = await world.bindings.assign(owner, {
        subjectId: admin.principal.subjectId,
        role: 'owner',
        resource: '',
        expiresAt: undefined,
      });
      await world.bindings.revoke(owner, {
        bindingId: '',
        subjectId: ownerId,
        role: 'owner',
        resource: '',
      });
      const nowLast = await errorOf(
        world.bindings.revoke(admin, {
          bindingId: second.binding.id,
          subjectId: '',
          role: '',
          resource: '',
        }),
      );
      expect(nowLast.code).toBe('LAST_OWNER');
      const missing = await errorOf(
        world.bindings.revoke(owner, {
          bindingId: '0e000000-0000-4000-8000-0000000000ee',
          subjectId: '',
          role: '',
          resource: '',
        }),
      );
      expect(missing.code).toBe('ROLE_BINDING_NOT_FOUND');
      const actions = (await world.audit.list(TENANT_A_ID, 100)).map((event) => event.action);
      expect(actions).toEqual(['authz.binding.created', 'authz.binding.revoked']);
    });

    it('never lets the sole owner binding without expiry be given an expiry', async () => {
      const ownerId = owner.principal.subjectId;
      const expiring = await errorOf(
        world.bindings.assign(owner, {
          subjectId: ownerId,
          role: 'owner',
          resource: '',
          expiresAt: new Date(world.clock.now().getTime() + 2_000),
        }),
      );
      expect(expiring).toMatchObject({ code: 'LAST_OWNER', category: 'failed_precondition' });
      // With a second permanent owner, the first may become temporary.
      await world.bindings.assign(owner, {
        subjectId: admin.principal.subjectId,
        role: 'owner',
        resource: '',
        expiresAt: undefined,
      });
      const temporary = await world.bindings.assign(owner, {
        subjectId: ownerId,
        role: 'owner',
        resource: '',
        expiresAt: new Date(world.clock.now().getTime() + 2_000),
      });
      expect(temporary.binding.expiresAt).toBeDefined();
    });

    it('does not count an owner binding that will expire as keeping the tenant owned', async () => {
      await world.bindings.assign(owner, {
        subjectId: member.principal.subjectId,
        role: 'owner',
        resource: '',
        expiresAt: new Date(world.clock.now().getTime() + 60_000),
      });
      const revoke = await errorOf(
        world.bindings.revoke(owner, {
          bindingId: '',
          subjectId: owner.principal.subjectId,
          role: 'owner',
          resource: '',
        }),
      );
      expect(revoke.code).toBe('LAST_OWNER');
    });

    it('refuses to revoke, rewrite or delete what the caller does not hold (PERMISSION_ESCALATION)', async () => {
      const secondOwner = await world.user(TENANT_A_ID, ['owner']);
      const revoke = await errorOf(
        world.bindings.revoke(admin, {
          bindingId: '',
          subjectId: secondOwner,
          role: 'owner',
          resource: '',
        }),
      );
      expect(revoke.code).toBe('PERMISSION_ESCALATION');
      await world.roles.create(owner, role('god', ['*']));
      await world.bindings.assign(owner, {
        subjectId: member.principal.subjectId,
        role: 'god',
        resource: '',
        expiresAt: undefined,
      });
      const update = await errorOf(
        world.roles.update(admin, { ...role('god', ['documents:read']), role: 'god' }),
      );
      expect(update.code).toBe('PERMISSION_ESCALATION');
      const remove = await errorOf(world.roles.delete(admin, { role: 'god', force: true }));
      expect(remove.code).toBe('PERMISSION_ESCALATION');
      expect((await check(member, 'billing:write')).allowed).toBe(true);
      // The owner holds it all.
      await world.roles.delete(owner, { role: 'god', force: true });
    });

    it('lists bindings filtered by subject or role, page by page', async () => {
      const all = await world.bindings.list(owner, {
        subjectId: '',
        role: '',
        pageSize: 2,
        after: undefined,
      });
      expect(all.items).toHaveLength(2);
      expect(all.nextAfter).toBeDefined();
      const rest = await world.bindings.list(owner, {
        subjectId: '',
        role: '',
        pageSize: 2,
        after: all.nextAfter,
      });
      expect(rest.items).toHaveLength(1);
      const admins = await world.bindings.list(owner, {
        subjectId: '',
        role: 'admin',
        pageSize: 0,
        after: undefined,
      });
      expect(admins.items.map((view) => [view.binding.subjectId, view.role])).toEqual([
        [admin.principal.subjectId, 'admin'],
      ]);
    });
  });

  describe('PolicyDecisionPoint', () => {
    it('checks the caller by default and others with authz:check only', async () => {
      expect((await check(member, 'profile:read')).allowed).toBe(true);
      const denied = await errorOf(check(member, 'profile:read', '', admin.principal.subjectId));
      expect(denied.code).toBe('PERMISSION_DENIED');
      const other = await check(admin, 'users:read', '', member.principal.subjectId);
      expect(other).toMatchObject({ allowed: false });
      expect(other.summary).toContain('users:read');
      const unknown = await check(admin, 'users:read', '', '0c000000-0000-4000-8000-0000000000ee');
      expect(unknown.allowed).toBe(false);
      expect(unknown.summary).toMatch(/unknown subject/);
    });

    it('audits denied checks and granted sensitive ones, not plain granted ones', async () => {
      const denied = await check(member, 'users:write');
      await check(admin, 'users:read');
      await check(admin, 'roles:write');
      const events = world.recorder.events;
      expect(events.map((event) => [event.action, event.details.permission])).toEqual([
        ['authz.check.denied', 'users:write'],
        ['authz.check.granted', 'roles:write'],
      ]);
      expect(events[0]).toMatchObject({
        id: denied.decisionId,
        outcome: 'denied',
        details: { decisionId: denied.decisionId },
      });
    });

    it('makes the audit context only for an audited decision', async () => {
      let made = 0;
      const context = () => {
        made += 1;
        return { requestId: 'req-lazy', ip: '192.0.2.7' };
      };
      const input = (permission: string) => ({ subjectId: '', permission, resource: '' });
      await world.pdp.check(admin, input('users:read'), context);
      await world.pdp.checkMany(admin, [input('users:read'), input('tenant:read')], context);
      expect(made).toBe(0);
      await world.pdp.check(member, input('users:write'), context);
      await world.pdp.checkMany(admin, [input('users:read'), input('roles:write')], context);
      expect(made).toBe(2);
      // Two audited items of one CheckMany share one context.
      await world.pdp.checkMany(member, [input('users:write'), input('roles:write')], context);
      expect(made).toBe(3);
      const audited: unknown = expect.objectContaining({ requestId: 'req-lazy', ip: '192.0.2.7' });
      expect(world.recorder.events.map((event) => [event.action, event.actor])).toEqual([
        ['authz.check.denied', audited],
        ['authz.check.granted', audited],
        ['authz.check.denied', audited],
        ['authz.check.denied', audited],
      ]);
    });

    it('answers CheckMany in order, names the bad item and refuses 0 or 101 items', async () => {
      const items = [
        { subjectId: '', permission: 'profile:read', resource: '' },
        { subjectId: '', permission: 'users:write', resource: '' },
        { subjectId: '', permission: 'tenant:read', resource: 'documents/1' },
      ];
      const results = await world.pdp.checkMany(member, items);
      expect(results.map((result) => result.allowed)).toEqual([true, false, true]);
      const bad = await errorOf(
        world.pdp.checkMany(member, [...items, { subjectId: '', permission: 'Bad', resource: '' }]),
      );
      expect(bad.message).toMatch(/^items\[3\]\.permission:/);
      const tooMany = Array.from({ length: 101 }, () => items[0]!);
      expect((await errorOf(world.pdp.checkMany(member, tooMany))).code).toBe('INVALID_ARGUMENT');
      expect((await errorOf(world.pdp.checkMany(member, []))).code).toBe('INVALID_ARGUMENT');
    });

    it('lists effective permissions, also on a resource', async () => {
      await world.roles.create(admin, role('doc-reader', ['documents:read']));
      await world.bindings.assign(admin, {
        subjectId: member.principal.subjectId,
        role: 'doc-reader',
        resource: 'documents/3',
        expiresAt: undefined,
      });
      const tenantWide = await world.pdp.listPermissions(member, { subjectId: '', resource: '' });
      expect(tenantWide).toEqual(['profile:read', 'sessions:read-own', 'tenant:read']);
      const onDoc = await world.pdp.listPermissions(member, {
        subjectId: '',
        resource: 'documents/3',
      });
      expect(onDoc).toContain('documents:read');
    });

    it('answers correctly through a 1 000-deep inheritance chain', async () => {
      let previous: string[] = [];
      for (let i = 0; i < 1_000; i++) {
        const name = `level-${String(i)}`;
        await world.roles.create(owner, role(name, i === 0 ? ['deep:read'] : [], previous));
        previous = [name];
      }
      await world.bindings.assign(owner, {
        subjectId: member.principal.subjectId,
        role: 'level-999',
        resource: '',
        expiresAt: undefined,
      });
      const decision = await check(member, 'deep:read');
      expect(decision.allowed).toBe(true);
      expect(decision.rolePath).toHaveLength(1_000);
      expect((await check(member, 'deep:write')).allowed).toBe(false);
    }, 60_000);

    it('platform operators acting in a tenant are checked in their own tenant', async () => {
      const operator = world.actor(
        await world.user(PLATFORM_TENANT_ID, ['owner']),
        TENANT_A_ID,
        PLATFORM_TENANT_ID,
      );
      const other = await check(operator, 'users:read', '', member.principal.subjectId);
      expect(other.allowed).toBe(false);
    });
  });
});
