import type { PrincipalKind } from '../../../domain/identity/principal.js';
import type {
  SubjectChanges,
  SubjectLiveness,
  UserReader,
} from '../../../domain/identity/subject-changes.port.js';
import { isUserActive, type User } from '../../../domain/identity/user.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

export interface SubjectCacheOptions {
  /** How long an entry is trusted without a change announcement (bounds a lost one). */
  readonly ttlMs: number;
  /** Per kind (users, service accounts); the oldest entry leaves first. */
  readonly maxEntries?: number;
}

export interface SubjectSource {
  byId(tenantId: string, userId: string): Promise<User | undefined>;
  serviceAccountExists(tenantId: string, accountId: string): Promise<boolean>;
}

interface Entry<V> {
  readonly value: V;
  readonly until: number;
}

interface Flight {
  readonly read: Promise<unknown>;
  /** `stale`: a change to this subject landed while the read was out; its answer is not kept. */
  readonly state: { stale: boolean };
}

/**
 * Users and service accounts as last read, per (tenant, id), dropped on every replica when
 * `SubjectChanges` announces a change (and all at once when the feed resets). It answers both
 * the hot-path question "may this token's subject still act?" (a plain boolean when known: a
 * disabled user or deleted account stops working everywhere as soon as the announcement
 * lands, with or without a session) and GetCurrentUser's read. Only a subject not seen within
 * the TTL costs a database read, shared by concurrent callers; a read in flight when a change
 * to that subject arrives is neither kept nor joined by later callers, so it cannot outlive
 * the announcement (changes to other
 * subjects, such as a storm of logins, do not spoil it).
 */
export class SubjectCache implements SubjectLiveness, UserReader {
  private readonly users = new Map<string, Entry<User | undefined>>();
  private readonly accounts = new Map<string, Entry<boolean>>();
  private readonly inflight = new Map<string, Flight>();
  private readonly maxEntries: number;

  constructor(
    private readonly source: SubjectSource,
    private readonly clock: Clock,
    private readonly options: SubjectCacheOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 50_000;
  }

  listenTo(changes: SubjectChanges): this {
    changes.onChanged(({ tenantId, subjectId }) => {
      this.forget(tenantId, subjectId);
    });
    changes.onReset(() => {
      this.clear();
    });
    return this;
  }

  isActive(tenantId: string, kind: PrincipalKind, subjectId: string): boolean | Promise<boolean> {
    const key = keyOf(tenantId, subjectId);
    if (kind === 'service') {
      const known = this.fresh(this.accounts, key);
      if (known !== undefined) return known.value;
      return this.load(this.accounts, `s:${key}`, key, () =>
        this.source.serviceAccountExists(tenantId, subjectId),
      );
    }
    const known = this.fresh(this.users, key);
    if (known !== undefined) return known.value !== undefined && isUserActive(known.value);
    return this.loadUser(tenantId, subjectId, key).then(
      (user) => user !== undefined && isUserActive(user),
    );
  }

  byId(tenantId: string, userId: string): Promise<User | undefined> {
    const key = keyOf(tenantId, userId);
    const known = this.fresh(this.users, key);
    if (known !== undefined) return Promise.resolve(known.value);
    return this.loadUser(tenantId, userId, key);
  }

  forget(tenantId: string, subjectId: string): void {
    const key = keyOf(tenantId, subjectId);
    this.users.delete(key);
    this.accounts.delete(key);
    // A read already out may predate the change: it is not kept, and later callers do not
    // join it (they start a read that sees the change).
    for (const flightKey of [`u:${key}`, `s:${key}`]) {
      const flight = this.inflight.get(flightKey);
      if (flight === undefined) continue;
      flight.state.stale = true;
      this.inflight.delete(flightKey);
    }
  }

  clear(): void {
    for (const flight of this.inflight.values()) flight.state.stale = true;
    this.inflight.clear();
    this.users.clear();
    this.accounts.clear();
  }

  private loadUser(tenantId: string, userId: string, key: string): Promise<User | undefined> {
    return this.load(this.users, `u:${key}`, key, () => this.source.byId(tenantId, userId));
  }

  private fresh<V>(map: Map<string, Entry<V>>, key: string): Entry<V> | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > this.clock.now().getTime()) return entry;
    map.delete(key);
    return undefined;
  }

  private load<V>(
    map: Map<string, Entry<V>>,
    flightKey: string,
    key: string,
    read: () => Promise<V>,
  ): Promise<V> {
    const pending = this.inflight.get(flightKey);
    if (pending !== undefined) return pending.read as Promise<V>;
    const state = { stale: false };
    const loaded = read()
      .then((value) => {
        if (!state.stale) {
          if (map.size >= this.maxEntries) {
            const oldest = map.keys().next();
            if (oldest.done !== true) map.delete(oldest.value);
          }
          map.set(key, { value, until: this.clock.now().getTime() + this.options.ttlMs });
        }
        return value;
      })
      .finally(() => {
        // A forgotten flight may have been replaced by a newer read: leave that one registered.
        if (this.inflight.get(flightKey)?.state === state) this.inflight.delete(flightKey);
      });
    this.inflight.set(flightKey, { read: loaded, state });
    return loaded;
  }
}

const keyOf = (tenantId: string, subjectId: string): string =>
  `${tenantId.toLowerCase()}/${subjectId.toLowerCase()}`;
