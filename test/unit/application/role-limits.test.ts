import { InMemoryRequestTransactions } from '../../../src/adapters/outbound/memory/in-memory-request-transactions.js';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_ROLE_CLOSURE_PERMISSIONS,
  MAX_TENANT_ROLES,
  RoleAdmin,
} from '../../../src/application/authorization/role-admin.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import type { Role } from '../../../src/domain/authorization/role.js';
import { TENANT_A_ID } from '../../mothers/tenant.mother.js';
import { authorizationWorld, type AuthorizationWorld } from './authorization-fixture.js';

const role = (name: string, permissions: string[], inherits: string[] = []) => ({
  name,
  description: '',
  permissions,
  inherits,
});

/** `count` permissions of a business namespace (not core: admins may hand them out). */
const permissions = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}:a${String(i)}`);

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string; category: string; metadata: object };
  }
  throw new Error('expected a failure');
};

describe('RoleAdmin write limits (memory adapters)', () => {
  let world: AuthorizationWorld;
  let admin: Actor;
  let next = 0;
  const ids = { newId: () => `0e000000-0000-4000-8000-${String((next += 1)).padStart(12, '0')}` };
  /** The world's use case with smaller limits. */
  const limited = (limits: { maxTenantRoles?: number; maxClosurePermissions?: number }) =>
    new RoleAdmin(
      world.uow,
      world.pdp,
      world.changes,
      world.audit,
      ids,
      world.clock,
      new InMemoryRequestTransactions(),
      limits,
    );

  beforeEach(async () => {
    world = await authorizationWorld();
    admin = world.actor(await world.user(TENANT_A_ID, ['admin']));
  });

  it(`refuses a custom role past ${String(MAX_TENANT_ROLES)} per tenant (system roles not counted)`, async () => {
    const now = world.clock.now();
    const stored: Role[] = Array.from({ length: MAX_TENANT_ROLES - 1 }, (_, i) => ({
      tenantId: TENANT_A_ID,
      id: ids.newId(),
      name: `stored-${String(i)}`,
      description: '',
      permissions: ['documents:read'],
      inherits: [],
      system: false,
      createdAt: now,
      updatedAt: now,
    }));
    await world.uow.inTenant(TENANT_A_ID, ({ roles }) => roles.insertRoles(stored));
    await world.roles.create(admin, role('last-one', ['documents:read']));
    const refused = await errorOf(world.roles.create(admin, role('one-too-many', [])));
    expect(refused).toMatchObject({
      category: 'failed_precondition',
      code: 'ROLE_LIMIT_EXCEEDED',
      metadata: { limit: String(MAX_TENANT_ROLES) },
    });
    expect(refused.message).toMatch(/already has 1000 custom roles/);
    // Existing roles can still change, and deleting one makes room.
    await world.roles.update(admin, { role: 'last-one', ...role('', ['documents:write']) });
    await world.roles.delete(admin, { role: 'last-one', force: false });
    await world.roles.create(admin, role('one-too-many', []));
  });

  it(`refuses a role holding over ${String(MAX_ROLE_CLOSURE_PERMISSIONS)} distinct permissions with what it inherits`, async () => {
    // 10 roles of 1 000 permissions each, chained: 10 000 in the top one's closure.
    for (let i = 0; i < 10; i++) {
      await world.roles.create(
        admin,
        role(
          `level-${String(i)}`,
          permissions(`ns${String(i)}`, 1_000),
          i > 0 ? [`level-${String(i - 1)}`] : [],
        ),
      );
    }
    const over = await errorOf(
      world.roles.create(admin, role('above', ['extra:one'], ['level-9'])),
    );
    expect(over).toMatchObject({
      category: 'failed_precondition',
      code: 'ROLE_CLOSURE_TOO_LARGE',
      metadata: { role: 'above', limit: '10000' },
    });
    expect(over.message).toBe(
      'the change would give role "above" more than 10000 distinct permissions (own and inherited)',
    );
    // The same permissions again are not more distinct ones.
    await world.roles.create(admin, role('above', ['ns0:a1'], ['level-9']));
  });

  it('refuses a change to an inherited role that takes a role inheriting it over the limit', async () => {
    const roles = limited({ maxClosurePermissions: 5 });
    await roles.create(admin, role('base', ['d:1']));
    await roles.create(admin, role('mid', ['d:2'], ['base']));
    await roles.create(admin, role('top', ['d:3', 'd:4'], ['mid']));
    await roles.create(admin, role('side', [], ['base']));
    // base alone would hold 3, mid 4, but top 6.
    const over = await errorOf(
      roles.update(admin, { role: 'base', ...role('', ['d:1', 'd:5', 'd:6']) }),
    );
    expect(over).toMatchObject({ code: 'ROLE_CLOSURE_TOO_LARGE', metadata: { role: 'top' } });
    const own = await errorOf(
      roles.update(admin, { role: 'side', ...role('', permissions('s', 5), ['base']) }),
    );
    expect(own).toMatchObject({ code: 'ROLE_CLOSURE_TOO_LARGE', metadata: { role: 'side' } });
    // Within the limit everywhere: accepted.
    await roles.update(admin, { role: 'base', ...role('', ['d:1', 'd:5']) });
    const stored = await world.roles.get(admin, 'base');
    expect(stored.role.permissions).toEqual(['d:1', 'd:5']);
  });

  it('refuses a role past a configured tenant limit', async () => {
    const roles = limited({ maxTenantRoles: 2 });
    await roles.create(admin, role('one', []));
    await roles.create(admin, role('two', []));
    const refused = await errorOf(roles.create(admin, role('three', [])));
    expect(refused).toMatchObject({ code: 'ROLE_LIMIT_EXCEEDED', metadata: { limit: '2' } });
  });
});
