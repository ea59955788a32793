import type { Clock } from '../../../domain/shared/clock.port.js';
import type { TenantDirectory, TenantRef } from '../../../domain/tenancy/tenant-directory.port.js';

interface Entry {
  readonly ref: TenantRef | undefined;
  readonly expiresAt: number;
}

/**
 * In-process TTL cache in front of a TenantDirectory, so resolving a tenant costs no query per
 * request. Misses are cached too (unknown slugs must not cost a query each), bounded by
 * `maxEntries`. `invalidate(id)` drops that tenant's entries and every cached miss (a new
 * tenant may fill one); lookups in flight during an invalidation are not cached. Concurrent
 * lookups of one key share one query. Cross-replica invalidation is the caller's concern.
 */
export class CachedTenantDirectory implements TenantDirectory {
  private readonly bySlugCache = new Map<string, Entry>();
  private readonly byIdCache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<TenantRef | undefined>>();
  private generation = 0;

  constructor(
    private readonly inner: TenantDirectory,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  bySlug(slug: string): Promise<TenantRef | undefined> {
    return this.lookup('slug', this.bySlugCache, slug, () => this.inner.bySlug(slug));
  }

  byId(id: string): Promise<TenantRef | undefined> {
    const key = id.toLowerCase();
    return this.lookup('id', this.byIdCache, key, () => this.inner.byId(id));
  }

  invalidate(tenantId: string): void {
    const id = tenantId.toLowerCase();
    this.generation++;
    this.inFlight.clear();
    this.byIdCache.delete(id);
    for (const [slug, entry] of this.bySlugCache) {
      if (entry.ref === undefined || entry.ref.id.toLowerCase() === id)
        this.bySlugCache.delete(slug);
    }
    for (const [key, entry] of this.byIdCache) {
      if (entry.ref === undefined) this.byIdCache.delete(key);
    }
  }

  private lookup(
    kind: 'slug' | 'id',
    cache: Map<string, Entry>,
    key: string,
    load: () => Promise<TenantRef | undefined>,
  ): Promise<TenantRef | undefined> {
    const now = this.clock.now().getTime();
    const cached = cache.get(key);
    if (cached !== undefined && cached.expiresAt > now) return Promise.resolve(cached.ref);
    // Made on a miss only: a fresh string is hashed on every lookup it is used for.
    const flightKey = `${kind}:${key}`;
    const pending = this.inFlight.get(flightKey);
    if (pending !== undefined) return pending;

    const generation = this.generation;
    const promise = load()
      .then((ref) => {
        if (generation === this.generation) {
          const expiresAt = this.clock.now().getTime() + this.ttlMs;
          this.store(cache, key, { ref, expiresAt });
          // A found tenant answers both kinds of lookup.
          if (ref !== undefined) {
            this.store(this.byIdCache, ref.id.toLowerCase(), { ref, expiresAt });
            this.store(this.bySlugCache, ref.slug, { ref, expiresAt });
          }
        }
        return ref;
      })
      .finally(() => {
        if (this.inFlight.get(flightKey) === promise) this.inFlight.delete(flightKey);
      });
    this.inFlight.set(flightKey, promise);
    return promise;
  }

  private store(cache: Map<string, Entry>, key: string, entry: Entry): void {
    cache.delete(key);
    cache.set(key, entry);
    while (cache.size > this.maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done === true) break;
      cache.delete(oldest.value);
    }
  }
}
