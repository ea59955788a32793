import { describe, expect, it } from 'vitest';

import { CachedTenantDirectory } from '../../../src/adapters/outbound/memory/cached-tenant-directory.js';
import type { Clock } from '../../../src/domain/shared/clock.port.js';
import type {
  TenantDirectory,
  TenantRef,
} from '../../../src/domain/tenancy/tenant-directory.port.js';
import { TENANT_A_ID } from '../../mothers/tenant.mother.js';

class ManualClock implements Clock {
  constructor(private ms = Date.parse('2025-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A directory over a mutable list, counting lookups. */
class CountingDirectory implements TenantDirectory {
  lookups = 0;
  constructor(public refs: TenantRef[]) {}
  bySlug(slug: string): Promise<TenantRef | undefined> {
    this.lookups++;
    return Promise.resolve(this.refs.find((ref) => ref.slug === slug));
  }
  byId(id: string): Promise<TenantRef | undefined> {
    this.lookups++;
    return Promise.resolve(this.refs.find((ref) => ref.id === id));
  }
}

const acme: TenantRef = { id: TENANT_A_ID, slug: 'acme', status: 'active' };

describe('CachedTenantDirectory', () => {
  it('answers from the cache until the TTL passes, for slug and id alike', async () => {
    const inner = new CountingDirectory([acme]);
    const clock = new ManualClock();
    const cached = new CachedTenantDirectory(inner, clock, 1000);
    expect(await cached.bySlug('acme')).toEqual(acme);
    expect(await cached.bySlug('acme')).toEqual(acme);
    expect(await cached.byId(TENANT_A_ID)).toEqual(acme);
    expect(inner.lookups).toBe(1);
    clock.advance(1000);
    expect(await cached.byId(TENANT_A_ID)).toEqual(acme);
    expect(inner.lookups).toBe(2);
  });

  it('shares one lookup between concurrent callers', async () => {
    const inner = new CountingDirectory([acme]);
    const cached = new CachedTenantDirectory(inner, new ManualClock(), 1000);
    const results = await Promise.all([
      cached.bySlug('acme'),
      cached.bySlug('acme'),
      cached.bySlug('acme'),
    ]);
    expect(results).toEqual([acme, acme, acme]);
    expect(inner.lookups).toBe(1);
  });

  it('caches misses, and forgets them and the tenant on invalidate', async () => {
    const inner = new CountingDirectory([]);
    const cached = new CachedTenantDirectory(inner, new ManualClock(), 60_000);
    expect(await cached.bySlug('acme')).toBeUndefined();
    expect(await cached.bySlug('acme')).toBeUndefined();
    expect(inner.lookups).toBe(1);
    inner.refs = [acme];
    cached.invalidate(TENANT_A_ID);
    expect(await cached.bySlug('acme')).toEqual(acme);

    inner.refs = [{ ...acme, status: 'suspended' }];
    cached.invalidate(TENANT_A_ID);
    expect(await cached.byId(TENANT_A_ID)).toEqual({ ...acme, status: 'suspended' });
    expect(await cached.bySlug('acme')).toEqual({ ...acme, status: 'suspended' });
  });

  it('keeps at most maxEntries per index', async () => {
    const inner = new CountingDirectory([]);
    const cached = new CachedTenantDirectory(inner, new ManualClock(), 60_000, 2);
    for (const slug of ['a1', 'a2', 'a3']) await cached.bySlug(slug);
    expect(inner.lookups).toBe(3);
    await cached.bySlug('a3');
    expect(inner.lookups).toBe(3);
    await cached.bySlug('a1');
    expect(inner.lookups).toBe(4);
  });
});
