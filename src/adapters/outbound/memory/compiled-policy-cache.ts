import type {
  PolicyCache,
  PolicySource,
} from '../../../application/authorization/policy-cache.port.js';
import { compileTenantPolicy } from '../../../domain/authorization/compile-tenant-policy.js';
import type { PolicyChanges } from '../../../domain/authorization/policy-changes.port.js';
import type {
  CompiledSubject,
  CompiledTenantPolicy,
} from '../../../domain/authorization/policy-engine.js';
import type { Clock } from '../../../domain/shared/clock.port.js';
import type { RememberedDecisions } from './remembered-decisions.js';

export interface CompiledPolicyCacheOptions {
  /**
   * The oldest a policy may be when a check uses it: past half of it the version is read again
   * in the background, past all of it the check waits for that read. Announcements of changes
   * drop entries sooner (milliseconds); this bounds what a lost announcement can cost.
   */
  readonly maxStalenessMs: number;
  /** Compiled subjects kept per process; reaching it drops them all (they recompile on use). */
  readonly maxSubjects: number;
  /**
   * Milliseconds from a clock that never steps back (production: `performance.now()`), for how
   * old an entry is: a wall clock stepped back would keep a stale entry (a revoked binding) for
   * as long as the step. Absent: the wall clock (tests drive it).
   */
  readonly monotonicMs?: () => number;
  /** Where compiled subjects keep their recent answers (none: every check is evaluated). */
  readonly remembered?: RememberedDecisions;
}

interface TenantEntry {
  readonly version: number;
  readonly policy: CompiledTenantPolicy;
  /** When the version was last known current (the start of the read that said so). */
  validatedAt: number;
  readonly subjects: Map<string, CompiledSubject>;
  revalidating: boolean;
  validating: Promise<boolean> | undefined;
}

/**
 * Compiled tenant policies and subjects, per replica, keyed by the tenant's policy version.
 * A cached subject answers synchronously; a miss reads the database once (concurrent misses
 * share the read). An announced change drops the tenant's entries older than its version; a
 * reset of the announcement feed drops everything.
 */
export class CompiledPolicyCache implements PolicyCache {
  private readonly tenants = new Map<string, TenantEntry>();
  private readonly tenantLoads = new Map<string, Promise<TenantEntry | undefined>>();
  private readonly subjectLoads = new Map<string, Promise<CompiledSubject>>();
  /**
   * Announcements heard per tenant: a read that began before one may predate the change it
   * announced, so its result answers the waiting checks but is not kept.
   */
  private readonly epochs = new Map<string, number>();
  private subjectCount = 0;
  /** Bumped on every reset: reads begun before it do not fill the cache. */
  private generation = 0;

  constructor(
    private readonly source: PolicySource,
    private readonly clock: Clock,
    private readonly options: CompiledPolicyCacheOptions,
  ) {}

  listenTo(changes: PolicyChanges): this {
    changes.onChanged(({ tenantId, version }) => {
      this.invalidate(tenantId, version);
    });
    changes.onReset(() => {
      this.clear();
    });
    return this;
  }

  subject(tenantId: string, subjectId: string): CompiledSubject | Promise<CompiledSubject> {
    const tenant = tenantId.toLowerCase();
    const subject = subjectId.toLowerCase();
    const entry = this.tenants.get(tenant);
    if (entry !== undefined) {
      const age = this.now() - entry.validatedAt;
      if (age < this.options.maxStalenessMs) {
        if (age >= this.options.maxStalenessMs / 2) this.revalidate(tenant, entry);
        const compiled = entry.subjects.get(subject);
        if (compiled !== undefined) return compiled;
        return this.loadSubject(tenant, subject, entry);
      }
    }
    return this.fresh(tenant).then(
      (current) => current.subjects.get(subject) ?? this.loadSubject(tenant, subject, current),
    );
  }

  /** Forgets the tenant's entries older than `version`. */
  invalidate(tenantId: string, version: number): void {
    const tenant = tenantId.toLowerCase();
    this.epochs.set(tenant, this.epochOf(tenant) + 1);
    const entry = this.tenants.get(tenant);
    if (entry !== undefined && entry.version < version) this.drop(tenant, entry);
  }

  clear(): void {
    this.generation += 1;
    this.tenants.clear();
    this.epochs.clear();
    this.tenantLoads.clear();
    this.subjectLoads.clear();
    this.subjectCount = 0;
  }

  /** Number of compiled subjects held (for tests and metrics). */
  get size(): number {
    return this.subjectCount;
  }

  private epochOf(tenant: string): number {
    return this.epochs.get(tenant) ?? 0;
  }

  private now(): number {
    return this.options.monotonicMs?.() ?? this.clock.now().getTime();
  }

  /** The tenant's entry, its version confirmed current within the staleness bound. */
  private async fresh(tenant: string): Promise<TenantEntry> {
    const entry = this.tenants.get(tenant);
    if (entry !== undefined) {
      if (this.now() - entry.validatedAt < this.options.maxStalenessMs) return entry;
      // Concurrent checks past the bound share one version read.
      entry.validating ??= this.validate(tenant, entry).finally(() => {
        entry.validating = undefined;
      });
      if (await entry.validating) return entry;
    }
    return this.loadTenant(tenant);
  }

  /** Whether the entry's version is still current (then it counts as read now). */
  private async validate(tenant: string, entry: TenantEntry): Promise<boolean> {
    const startedAt = this.now();
    const version = await this.source.version(tenant);
    if (version === entry.version) {
      entry.validatedAt = Math.max(entry.validatedAt, startedAt);
      return true;
    }
    if (this.tenants.get(tenant) === entry) this.drop(tenant, entry);
    return false;
  }

  private loadTenant(tenant: string): Promise<TenantEntry> {
    let load = this.tenantLoads.get(tenant);
    if (load === undefined) {
      const generation = this.generation;
      const epoch = this.epochOf(tenant);
      const startedAt = this.now();
      load = this.source.tenant(tenant).then(
        (snapshot) => {
          if (this.tenantLoads.get(tenant) === load) this.tenantLoads.delete(tenant);
          const entry: TenantEntry = {
            version: snapshot.version,
            policy: compileTenantPolicy(tenant, snapshot.roles),
            validatedAt: startedAt,
            subjects: new Map(),
            revalidating: false,
            validating: undefined,
          };
          const current = this.tenants.get(tenant);
          const storable =
            generation === this.generation &&
            epoch === this.epochOf(tenant) &&
            (current === undefined || current.version < snapshot.version);
          if (storable) {
            if (current !== undefined) this.drop(tenant, current);
            this.tenants.set(tenant, entry);
          }
          return entry;
        },
        (error: unknown) => {
          if (this.tenantLoads.get(tenant) === load) this.tenantLoads.delete(tenant);
          throw error;
        },
      );
      this.tenantLoads.set(tenant, load);
    }
    return load as Promise<TenantEntry>;
  }

  private loadSubject(
    tenant: string,
    subject: string,
    entry: TenantEntry,
  ): Promise<CompiledSubject> {
    const key = `${tenant}/${subject}@${String(entry.version)}`;
    let load = this.subjectLoads.get(key);
    if (load === undefined) {
      const generation = this.generation;
      const epoch = this.epochOf(tenant);
      load = this.compileSubject(tenant, subject, entry, 0).then(
        (compiled) => {
          this.subjectLoads.delete(key);
          const current = this.tenants.get(tenant);
          if (
            generation === this.generation &&
            epoch === this.epochOf(tenant) &&
            current?.version === compiled.version &&
            !current.subjects.has(subject)
          ) {
            if (this.subjectCount >= this.options.maxSubjects) this.dropSubjects();
            current.subjects.set(subject, compiled.subject);
            this.subjectCount += 1;
          }
          return compiled.subject;
        },
        (error: unknown) => {
          this.subjectLoads.delete(key);
          throw error;
        },
      );
      this.subjectLoads.set(key, load);
    }
    return load;
  }

  /** The subject's bindings compiled against the tenant policy of the same version. */
  private async compileSubject(
    tenant: string,
    subject: string,
    entry: TenantEntry,
    attempt: number,
  ): Promise<{ subject: CompiledSubject; version: number }> {
    const { version, bindings } = await this.source.bindings(tenant, subject);
    if (version === entry.version || attempt >= 2) {
      // After two changes in a row, the latest bindings against the latest policy read.
      const compiled = entry.policy.compileSubject(subject, bindings);
      const remembered = this.options.remembered;
      return {
        subject: remembered === undefined ? compiled : remembered.remember(compiled),
        version: entry.version,
      };
    }
    // The policy changed since the tenant entry was read: read it again first.
    if (this.tenants.get(tenant) === entry) this.drop(tenant, entry);
    const next = await this.loadTenant(tenant);
    return this.compileSubject(tenant, subject, next, attempt + 1);
  }

  private revalidate(tenant: string, entry: TenantEntry): void {
    if (entry.revalidating) return;
    entry.revalidating = true;
    const startedAt = this.now();
    this.source.version(tenant).then(
      (version) => {
        entry.revalidating = false;
        if (version === entry.version) {
          entry.validatedAt = Math.max(entry.validatedAt, startedAt);
        } else if (this.tenants.get(tenant) === entry) {
          this.drop(tenant, entry);
        }
      },
      () => {
        // The next check past the bound reads it again (and reports the failure).
        entry.revalidating = false;
      },
    );
  }

  private drop(tenant: string, entry: TenantEntry): void {
    if (this.tenants.get(tenant) !== entry) return;
    this.tenants.delete(tenant);
    this.subjectCount -= entry.subjects.size;
  }

  private dropSubjects(): void {
    for (const entry of this.tenants.values()) entry.subjects.clear();
    this.subjectCount = 0;
  }
}
