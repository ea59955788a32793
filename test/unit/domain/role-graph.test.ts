import { describe, expect, it } from 'vitest';
import { parseResource } from '../../../src/domain/authorization/resource.js';
import type { Role } from '../../../src/domain/authorization/role.js';
import { findInheritanceCycle } from '../../../src/domain/authorization/role-graph.js';

const TENANT = '0190a5e2-0000-7000-8000-000000000001';
const EPOCH = new Date('2026-01-01T00:00:00Z');

/** Role `name` with id `id-name`, inheriting the roles named in `inherits`. */
const role = (name: string, inherits: readonly string[] = []): Role => ({
  tenantId: TENANT,
  id: `id-${name}`,
  name,
  description: '',
  permissions: [],
  inherits: inherits.map((parent) => `id-${parent}`),
  system: false,
  createdAt: EPOCH,
  updatedAt: EPOCH,
});

describe('findInheritanceCycle', () => {
  it('finds nothing in a DAG (chain, diamond, no roles)', () => {
    expect(findInheritanceCycle([])).toBeUndefined();
    expect(findInheritanceCycle([role('a', ['b']), role('b', ['c']), role('c')])).toBeUndefined();
    expect(
      findInheritanceCycle([
        role('top', ['l', 'r']),
        role('l', ['base']),
        role('r', ['base']),
        role('base'),
      ]),
    ).toBeUndefined();
  });

  it('names a self-loop', () => {
    expect(findInheritanceCycle([role('a', ['a'])])).toEqual(['a', 'a']);
  });

  it('names a 2-cycle', () => {
    expect(findInheritanceCycle([role('a', ['b']), role('b', ['a'])])).toEqual(['a', 'b', 'a']);
  });

  it('names a long cycle, without the roles leading into it', () => {
    const roles = [role('entry', ['c0'])];
    for (let i = 0; i < 50; i++) roles.push(role(`c${i}`, [`c${(i + 1) % 50}`]));
    const cycle = findInheritanceCycle(roles);
    expect(cycle).toHaveLength(51);
    expect(cycle?.[0]).toBe('c0');
    expect(cycle?.at(-1)).toBe('c0');
    expect(cycle).not.toContain('entry');
  });

  it('walks a 1 000-deep chain and a 10 000-deep one without blowing the stack', () => {
    for (const depth of [1_000, 10_000]) {
      const chain = Array.from({ length: depth }, (_, i) =>
        role(`r${i}`, i + 1 < depth ? [`r${i + 1}`] : []),
      );
      expect(findInheritanceCycle(chain)).toBeUndefined();
      const closed = [...chain.slice(0, -1), role(`r${depth - 1}`, ['r0'])];
      expect(findInheritanceCycle(closed)).toHaveLength(depth + 1);
    }
  });

  it('ignores inherited ids naming no role, and tolerates odd stored data', () => {
    expect(findInheritanceCycle([role('a', ['ghost'])])).toBeUndefined();
    const odd = { ...role('odd'), inherits: null } as unknown as Role;
    expect(findInheritanceCycle([odd, role('b', ['odd'])])).toBeUndefined();
  });

  it('finds the cycle a change would create (the changed role in place)', () => {
    const roles = [role('editor', ['viewer']), role('viewer')];
    expect(findInheritanceCycle(roles)).toBeUndefined();
    const changed = roles.map((r) => (r.name === 'viewer' ? role('viewer', ['editor']) : r));
    expect(findInheritanceCycle(changed)).toEqual(['editor', 'viewer', 'editor']);
    expect(findInheritanceCycle(changed, 'id-viewer')).toEqual(['viewer', 'editor', 'viewer']);
    expect(findInheritanceCycle(changed, 'id-unknown')).toEqual(['editor', 'viewer', 'editor']);
  });
});

describe('parseResource', () => {
  it.each([
    'documents/7',
    'a/b',
    'service-accounts/0190a5e2-0000-7000',
    'x_y/a/b:c',
    `t/${'x'.repeat(200)}`,
    `${'t'.repeat(63)}/1`,
  ])('accepts %j', (raw) => {
    expect(parseResource('resource', raw)).toBe(raw);
  });

  it.each([
    '',
    'documents',
    'documents/',
    '/7',
    'Documents/7',
    'docs/a b',
    'docs/a\tb',
    `t/${'x'.repeat(201)}`,
    `${'t'.repeat(64)}/1`,
    'docs/é',
  ])('refuses %j naming the field', (raw) => {
    expect(() => parseResource('items[2].resource', raw)).toThrow(/^items\[2\]\.resource: /);
  });
});
