import type { Clock } from '../../../domain/shared/clock.port.js';
import type { Tenant } from '../../../domain/tenancy/tenant.js';
import type { TenantViewCache } from '../../../domain/tenancy/tenant-view-cache.port.js';

interface Entry {
  readonly tenant: Tenant;
  readonly expiresAt: number;
}

/**
 * In-process TTL cache of tenant reads per viewer, bounded by `maxEntries` (oldest first out).
 * Misses are not remembered. A load that overlaps an invalidation is returned but not stored,
 * so a change committed during the read cannot be cached as stale.
 */
export class InMemoryTenantViewCache implements TenantViewCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async through(
    viewerTenantId: string,
    key: string,
    load: () => Promise<Tenant | undefined>,
  ): Promise<Tenant | undefined> {
    const entryKey = `${viewerTenantId}|${key}`;
    const cached = this.entries.get(entryKey);
    if (cached !== undefined && cached.expiresAt > this.clock.now().getTime()) return cached.tenant;
    const generation = this.generation;
    const tenant = await load();
    if (tenant !== undefined && generation === this.generation) {
      this.entries.delete(entryKey);
      this.entries.set(entryKey, { tenant, expiresAt: this.clock.now().getTime() + this.ttlMs });
      if (this.entries.size > this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
    }
    return tenant;
  }

  invalidate(tenantId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.tenant.id === tenantId) this.entries.delete(key);
    }
  }
}
