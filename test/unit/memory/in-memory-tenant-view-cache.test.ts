import { describe, expect, it } from 'vitest';
import { InMemoryTenantViewCache } from '../../../src/adapters/outbound/memory/in-memory-tenant-view-cache.js';
import type { Tenant } from '../../../src/domain/tenancy/tenant.js';
import { aTenant } from '../../mothers/tenant.mother.js';

const VIEWER_A = '0190a5e2-0000-7000-8000-00000000000a';
const VIEWER_B = '0190a5e2-0000-7000-8000-00000000000b';

function fixture(ttlMs = 1000) {
  let now = 0;
  const clock = { now: () => new Date(now) };
  return { cache: new InMemoryTenantViewCache(clock, ttlMs), advance: (ms: number) => (now += ms) };
}

function counting(tenant: Tenant | undefined) {
  let loads = 0;
  const load = () => {
    loads++;
    return Promise.resolve(tenant);
  };
  return { load, loads: () => loads };
}

describe('InMemoryTenantViewCache', () => {
  it('serves a found tenant from memory until the TTL passes', async () => {
    const { cache, advance } = fixture();
    const tenant = aTenant();
    const source = counting(tenant);
    expect(await cache.through(VIEWER_A, 'id:x', source.load)).toBe(tenant);
    expect(await cache.through(VIEWER_A, 'id:x', source.load)).toBe(tenant);
    expect(source.loads()).toBe(1);
    advance(1001);
    await cache.through(VIEWER_A, 'id:x', source.load);
    expect(source.loads()).toBe(2);
  });

  it('keeps viewers apart and never remembers a miss', async () => {
    const { cache } = fixture();
    const found = counting(aTenant());
    await cache.through(VIEWER_A, 'id:x', found.load);
    const missing = counting(undefined);
    expect(await cache.through(VIEWER_B, 'id:x', missing.load)).toBeUndefined();
    expect(await cache.through(VIEWER_B, 'id:x', missing.load)).toBeUndefined();
    expect(missing.loads()).toBe(2);
  });

  it('forgets a tenant on invalidation, for every viewer and key', async () => {
    const { cache } = fixture();
    const tenant = aTenant();
    const source = counting(tenant);
    await cache.through(VIEWER_A, `id:${tenant.id}`, source.load);
    await cache.through(VIEWER_B, `slug:${tenant.slug}`, source.load);
    cache.invalidate(tenant.id);
    await cache.through(VIEWER_A, `id:${tenant.id}`, source.load);
    await cache.through(VIEWER_B, `slug:${tenant.slug}`, source.load);
    expect(source.loads()).toBe(4);
  });

  it('does not store a read that overlapped an invalidation', async () => {
    const { cache } = fixture();
    const stale = aTenant({ displayName: 'Before' });
    let release: (value: Tenant) => void = () => undefined;
    const slow = cache.through(
      VIEWER_A,
      'id:x',
      () => new Promise<Tenant>((resolve) => (release = resolve)),
    );
    cache.invalidate(stale.id);
    release(stale);
    expect(await slow).toBe(stale);
    const fresh = counting(aTenant({ id: stale.id, displayName: 'After' }));
    expect((await cache.through(VIEWER_A, 'id:x', fresh.load))?.displayName).toBe('After');
  });
});
