import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RememberedDecisions } from '../../../src/adapters/outbound/memory/remembered-decisions.js';
import { compileTenantPolicy } from '../../../src/domain/authorization/compile-tenant-policy.js';
import { permissionCovers } from '../../../src/domain/authorization/permission.js';
import type { Role, RoleBinding } from '../../../src/domain/authorization/role.js';

/*
 * The compiled engine against a naive reference evaluator: recursive over the (acyclic) role
 * graph, a linear scan over bindings, `permissionCovers` for every pair. Obviously correct,
 * hopelessly slow; the engine must agree with it on every random policy and query.
 */

const TENANT = 'tenant-1';
const SUBJECT = 'subject-1';
const EPOCH = new Date(0);
const GRANTABLE = [
  'a:read',
  'a:write',
  'b:read',
  'c:read',
  'a:*',
  'b:*',
  '*',
  'platform:x',
  'platform:*',
];
const REQUIRED = [
  'a:read',
  'a:write',
  'b:read',
  'b:write',
  'c:read',
  'd:read',
  'platform:x',
  'platform:y',
];
const RESOURCES = ['r/1', 'r/2', 'r/3'];
const TIMES = [100, 200, 300];

const policyArbitrary = fc.integer({ min: 1, max: 8 }).chain((count) =>
  fc.record({
    roles: fc.tuple(
      ...Array.from({ length: count }, (_, i) =>
        fc.record({
          permissions: fc.uniqueArray(fc.constantFrom(...GRANTABLE), { maxLength: 3 }),
          // Only roles with a smaller index (acyclic), now and then an id naming no role.
          inherits: fc
            .uniqueArray(fc.integer({ min: 0, max: i }), { maxLength: 3 })
            .map((parents) => parents.map((parent) => (parent === i ? 'ghost' : `id-${parent}`))),
        }),
      ),
    ),
    bindings: fc.array(
      fc.record({
        role: fc.integer({ min: 0, max: count }), // `count` names no role
        resource: fc.option(fc.constantFrom(...RESOURCES.slice(0, 2)), { nil: undefined }),
        expiresAt: fc.option(fc.constantFrom(...TIMES), { nil: undefined }),
      }),
      { maxLength: 12 },
    ),
    queries: fc.array(
      fc.record({
        permission: fc.constantFrom(...REQUIRED),
        resource: fc.option(fc.constantFrom(...RESOURCES), { nil: undefined }),
        now: fc.constantFrom(50, 100, 150, 200, 250, 300, 350),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    shuffled: fc.boolean(),
    // Scopes merged into one structure (0), or sharing the roles' closures (default).
    mergeBindingsAbove: fc.constantFrom(0, undefined),
  }),
);

describe('authorization engine vs a naive reference evaluator', () => {
  it('agrees on allowed, and explains every allowed answer with a real path', () => {
    fc.assert(
      fc.property(
        policyArbitrary,
        ({ roles: shapes, bindings: bindingShapes, queries, shuffled, mergeBindingsAbove }) => {
          const roles: Role[] = shapes.map((shape, i) => ({
            tenantId: TENANT,
            id: `id-${i}`,
            name: `role${i}`,
            description: '',
            permissions: shape.permissions,
            inherits: shape.inherits,
            system: false,
            createdAt: EPOCH,
            updatedAt: EPOCH,
          }));
          if (shuffled) roles.reverse();
          const bindings: RoleBinding[] = bindingShapes.map((shape, k) => ({
            tenantId: TENANT,
            id: `b-${k}`,
            subjectId: SUBJECT,
            subjectKind: 'user',
            roleId: `id-${shape.role}`,
            scope:
              shape.resource === undefined
                ? { kind: 'tenant' }
                : { kind: 'resource', resource: shape.resource },
            expiresAt: shape.expiresAt === undefined ? undefined : new Date(shape.expiresAt),
            createdAt: EPOCH,
          }));

          // ---- the reference
          const byId = new Map(roles.map((role) => [role.id, role]));
          const byName = new Map(roles.map((role) => [role.name, role]));
          const closure = (roleId: string): string[] => {
            const role = byId.get(roleId);
            if (role === undefined) return [];
            return [...role.permissions, ...role.inherits.flatMap((parent) => closure(parent))];
          };
          const applicable = (resource: string | undefined, now: number): RoleBinding[] =>
            bindings.filter(
              (binding) =>
                (binding.expiresAt === undefined || binding.expiresAt.getTime() > now) &&
                (binding.scope.kind === 'tenant' ||
                  (resource !== undefined && binding.scope.resource === resource)),
            );
          const expiry = (binding: RoleBinding): number => binding.expiresAt?.getTime() ?? Infinity;

          // ---- the engine, compiled once for all queries, answering through a store of recent
          // answers too small for all of them (so some are forgotten and decided again)
          const compiled = new RememberedDecisions(4).remember(
            compileTenantPolicy(TENANT, roles, {
              mergeBindingsAbove,
            }).compileSubject(SUBJECT, bindings),
          );

          // Asked again in reverse (later times, then earlier ones): remembered answers must
          // hold only in their own time window.
          for (const query of [...queries, ...[...queries].reverse()]) {
            const now = new Date(query.now);
            const granting = applicable(query.resource, query.now).filter((binding) =>
              closure(binding.roleId).some((granted) =>
                permissionCovers(granted, query.permission),
              ),
            );
            const decision = compiled.decide(query.permission, query.resource, now);
            expect(decision.allowed).toBe(granting.length > 0);

            if (!decision.allowed) {
              expect(decision.bindingId).toBeUndefined();
              expect(decision.rolePath).toEqual([]);
              continue;
            }
            const binding = granting.find((candidate) => candidate.id === decision.bindingId);
            expect(binding).toBeDefined();
            if (binding === undefined) continue;
            // The binding that expires latest (never expiring best) among those that grant it.
            expect(expiry(binding)).toBe(Math.max(...granting.map(expiry)));
            const matched = decision.matchedPermission ?? '';
            expect(permissionCovers(matched, query.permission)).toBe(true);
            // A real inheritance path from the bound role down to a role holding the permission.
            const path = decision.rolePath.map((name) => byName.get(name));
            expect(path[0]?.id).toBe(binding.roleId);
            for (let step = 1; step < path.length; step++) {
              expect(path[step - 1]?.inherits).toContain(path[step]?.id);
            }
            expect(path.at(-1)?.permissions).toContain(matched);
            expect(decision.summary).toContain(binding.id);
          }

          for (const resource of [undefined, ...RESOURCES]) {
            for (const now of [50, 150, 250, 350]) {
              const expected = [
                ...new Set(applicable(resource, now).flatMap((binding) => closure(binding.roleId))),
              ].sort();
              expect(compiled.permissions(resource, new Date(now))).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
