import { describe, expect, it } from 'vitest';
import { RememberedDecisions } from '../../../src/adapters/outbound/memory/remembered-decisions.js';
import { compileTenantPolicy } from '../../../src/domain/authorization/compile-tenant-policy.js';
import type { Role, RoleBinding } from '../../../src/domain/authorization/role.js';

const TENANT = '0190a5e2-0000-7000-8000-000000000001';
const EPOCH = new Date('2026-01-01T00:00:00Z');
const AT = new Date('2026-06-01T12:00:00.000Z');
const BEFORE = new Date(AT.getTime() - 1);

const role = (name: string, permissions: readonly string[]): Role => ({
  tenantId: TENANT,
  id: `id-${name}`,
  name,
  description: '',
  permissions,
  inherits: [],
  system: false,
  createdAt: EPOCH,
  updatedAt: EPOCH,
});

const binding = (
  id: string,
  roleName: string,
  subjectId: string,
  expiresAt?: Date,
): RoleBinding => ({
  tenantId: TENANT,
  id,
  subjectId,
  subjectKind: 'user',
  roleId: `id-${roleName}`,
  scope: { kind: 'tenant' },
  expiresAt,
  createdAt: EPOCH,
});

const policy = compileTenantPolicy(TENANT, [
  role('editor', ['documents:write']),
  role('viewer', ['documents:read']),
]);

describe('RememberedDecisions', () => {
  it('returns the same decision for a repeated question, only inside its time window', () => {
    const store = new RememberedDecisions(100);
    const s = store.remember(
      policy.compileSubject('u1', [
        binding('b-temp', 'editor', 'u1', AT),
        binding('b-v', 'viewer', 'u1'),
      ]),
    );
    const granted = s.decide('documents:write', undefined, BEFORE);
    expect(granted.allowed).toBe(true);
    expect(s.decide('documents:write', undefined, BEFORE)).toBe(granted);
    expect(s.decide('documents:write', undefined, AT).allowed).toBe(false);
    // Back before the expiry (a clock stepped back): the grant again, not the kept denial.
    expect(s.decide('documents:write', undefined, BEFORE).allowed).toBe(true);
    expect(s.decide('documents:write', 'documents/1', BEFORE)).not.toBe(granted);
    expect(s.decide('documents:write', undefined, new Date(Number.NaN)).allowed).toBe(false);
    expect(s.permissions(undefined, BEFORE)).toEqual(['documents:read', 'documents:write']);
  });

  it('keeps at most its bound, all subjects together, and answers right after forgetting', () => {
    const store = new RememberedDecisions(10);
    const subjects = Array.from({ length: 5 }, (_, i) =>
      store.remember(
        policy.compileSubject(`u${String(i)}`, [
          binding(`b${String(i)}`, 'viewer', `u${String(i)}`),
        ]),
      ),
    );
    const first = subjects[0]?.decide('documents:read', 'documents/0', AT);
    for (const s of subjects) {
      for (let r = 0; r < 10; r += 1) {
        expect(s.decide('documents:read', `documents/${String(r)}`, AT).allowed).toBe(true);
      }
    }
    expect(store.size).toBe(10);
    const again = subjects[0]?.decide('documents:read', 'documents/0', AT);
    expect(again).not.toBe(first); // pushed out by the others, decided afresh
    expect(again).toEqual(first);
  });

  it('never answers a subject with what another one, or an older compilation, was told', () => {
    const store = new RememberedDecisions(100);
    const viewer = store.remember(policy.compileSubject('u1', [binding('b1', 'viewer', 'u1')]));
    const nobody = store.remember(policy.compileSubject('u2', []));
    expect(viewer.decide('documents:read', undefined, AT).allowed).toBe(true);
    expect(nobody.decide('documents:read', undefined, AT).allowed).toBe(false);
    // The same subject recompiled without its binding (a revocation): its own, new answer.
    const revoked = store.remember(policy.compileSubject('u1', []));
    expect(revoked.decide('documents:read', undefined, AT).allowed).toBe(false);
  });

  it('refreshing a known question does not push another one out', () => {
    const store = new RememberedDecisions(2);
    const s = store.remember(policy.compileSubject('u1', [binding('b-temp', 'editor', 'u1', AT)]));
    const read = s.decide('documents:read', undefined, BEFORE);
    s.decide('documents:write', undefined, BEFORE);
    s.decide('documents:write', undefined, AT); // the grant expired: the same key, a new answer
    expect(store.size).toBe(2);
    expect(s.decide('documents:read', undefined, BEFORE)).toBe(read);
  });

  it('stays within its bound when one subject alone asks about more than it holds', () => {
    const store = new RememberedDecisions(5);
    const s = store.remember(policy.compileSubject('u1', [binding('b1', 'viewer', 'u1')]));
    let lastWrite: unknown;
    for (let r = 0; r < 23; r += 1) {
      expect(s.decide('documents:read', `documents/${String(r)}`, AT).allowed).toBe(true);
      // Reaching the bound forgets the subject's own answers, then keeps the new one.
      expect(store.size).toBe(((2 * r) % 5) + 1);
      lastWrite = s.decide('documents:write', `documents/${String(r)}`, AT);
      expect(store.size).toBe(((2 * r + 1) % 5) + 1);
    }
    // The last one opened a fresh memo of its own, and is what it holds.
    expect(store.size).toBe(1);
    expect(s.decide('documents:write', 'documents/22', AT)).toBe(lastWrite);
    expect(store.size).toBe(1);
    // The earlier answers are gone: asked again, decided afresh and counted again.
    expect(s.decide('documents:read', 'documents/0', AT).allowed).toBe(true);
    expect(store.size).toBe(2);
  });
});
