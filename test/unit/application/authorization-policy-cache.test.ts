import { describe, expect, it } from 'vitest';
import { CompiledPolicyCache } from '../../../src/adapters/outbound/memory/compiled-policy-cache.js';
import { InProcessPolicyChanges } from '../../../src/adapters/outbound/memory/in-process-policy-changes.js';
import type {
  PolicySource,
  SubjectBindingsSnapshot,
  TenantPolicySnapshot,
} from '../../../src/application/authorization/policy-cache.port.js';
import {
  TENANT_SCOPE,
  type Role,
  type RoleBinding,
} from '../../../src/domain/authorization/role.js';
import { TENANT_A_ID } from '../../mothers/tenant.mother.js';

const SUBJECT = '0c000000-0000-4000-8000-00000000000c';
const ROLE_ID = '0d000000-0000-4000-8000-00000000000d';

/** A database stand-in counting its reads; `version` and `permissions` change the policy. */
class FakeSource implements PolicySource {
  version_ = 1;
  permissions = ['documents:read'];
  reads = { tenant: 0, bindings: 0, version: 0 };
  tenant(): Promise<TenantPolicySnapshot> {
    this.reads.tenant += 1;
    const role: Role = {
      tenantId: TENANT_A_ID,
      id: ROLE_ID,
      name: 'reader',
      description: '',
      permissions: [...this.permissions],
      inherits: [],
      system: false,
      createdAt: new Date(0),
      updatedAt: new Date(0),
    };
    return Promise.resolve({ version: this.version_, roles: [role] });
  }
  bindings(): Promise<SubjectBindingsSnapshot> {
    this.reads.bindings += 1;
    const binding: RoleBinding = {
      tenantId: TENANT_A_ID,
      id: '0e000000-0000-4000-8000-00000000000e',
      subjectId: SUBJECT,
      subjectKind: 'user',
      roleId: ROLE_ID,
      scope: TENANT_SCOPE,
      expiresAt: undefined,
      createdAt: new Date(0),
    };
    return Promise.resolve({ version: this.version_, bindings: [binding] });
  }
  version(): Promise<number> {
    this.reads.version += 1;
    return Promise.resolve(this.version_);
  }
}

function setUp(maxStalenessMs = 1_000) {
  let nowMs = 1_000_000;
  const clock = { now: () => new Date(nowMs) };
  const source = new FakeSource();
  const changes = new InProcessPolicyChanges();
  const cache = new CompiledPolicyCache(source, clock, {
    maxStalenessMs,
    maxSubjects: 10,
  }).listenTo(changes);
  const allows = async (permission: string): Promise<boolean> =>
    (await cache.subject(TENANT_A_ID, SUBJECT)).decide(permission, undefined, clock.now()).allowed;
  return {
    source,
    changes,
    cache,
    allows,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('CompiledPolicyCache', () => {
  it('reads once, then answers synchronously from memory', async () => {
    const { cache, source, allows } = setUp();
    expect(await allows('documents:read')).toBe(true);
    const cached = cache.subject(TENANT_A_ID, SUBJECT);
    expect(cached).not.toBeInstanceOf(Promise);
    expect(source.reads).toEqual({ tenant: 1, bindings: 1, version: 0 });
  });

  it('shares one read between concurrent misses', async () => {
    const { cache, source } = setUp();
    await Promise.all(
      Array.from({ length: 20 }, () => Promise.resolve(cache.subject(TENANT_A_ID, SUBJECT))),
    );
    expect(source.reads.tenant).toBe(1);
    expect(source.reads.bindings).toBe(1);
  });

  it('drops a tenant on an announced newer version and reads the change', async () => {
    const { changes, source, allows } = setUp();
    expect(await allows('documents:write')).toBe(false);
    source.permissions = ['documents:write'];
    source.version_ = 2;
    changes.changed({ tenantId: TENANT_A_ID, version: 1 });
    expect(await allows('documents:write')).toBe(false);
    changes.changed({ tenantId: TENANT_A_ID, version: 2 });
    expect(await allows('documents:write')).toBe(true);
  });

  it('never uses a policy older than the staleness bound, even without announcements', async () => {
    const { source, allows, advance } = setUp(1_000);
    await allows('documents:read');
    source.permissions = [];
    source.version_ = 2;
    advance(600);
    // Past half the bound: still answered from memory, version read again in the background.
    expect(await allows('documents:read')).toBe(true);
    await Promise.resolve();
    expect(source.reads.version).toBe(1);
    expect(await allows('documents:read')).toBe(false);
    advance(2_000);
    source.permissions = ['documents:read'];
    source.version_ = 3;
    expect(await allows('documents:read')).toBe(true);
  });

  it('measures staleness on the monotonic clock: a wall clock stepped back keeps nothing stale', async () => {
    let wallMs = 1_000_000;
    let monotonicMs = 0;
    const source = new FakeSource();
    const cache = new CompiledPolicyCache(
      source,
      { now: () => new Date(wallMs) },
      { maxStalenessMs: 1_000, maxSubjects: 10, monotonicMs: () => monotonicMs },
    );
    const allows = async (permission: string): Promise<boolean> =>
      (await cache.subject(TENANT_A_ID, SUBJECT)).decide(permission, undefined, new Date(wallMs))
        .allowed;
    expect(await allows('documents:read')).toBe(true);
    wallMs -= 3_600_000; // an NTP step back of an hour
    source.permissions = [];
    source.version_ = 2; // revoked, announcement lost
    wallMs += 2_000;
    monotonicMs += 2_000;
    expect(await allows('documents:read')).toBe(false);
  });

  it('keeps an unchanged version without recompiling, one version read for concurrent checks', async () => {
    const { source, allows, advance } = setUp(1_000);
    await allows('documents:read');
    advance(1_500);
    const answers = await Promise.all(Array.from({ length: 10 }, () => allows('documents:read')));
    expect(answers.every(Boolean)).toBe(true);
    expect(source.reads).toEqual({ tenant: 1, bindings: 1, version: 1 });
  });

  it('drops everything when the feed resets (it may have missed announcements)', async () => {
    const { cache, changes, source, allows } = setUp();
    await allows('documents:read');
    changes.reset();
    expect(cache.size).toBe(0);
    await allows('documents:read');
    expect(source.reads.tenant).toBe(2);
  });
});
