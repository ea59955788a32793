import type {
  SessionLiveness,
  SessionRevocations,
} from '../../../domain/identity/session-store.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

export interface SessionLivenessCacheOptions {
  /** How long a session seen live is trusted without asking again. */
  readonly liveTtlMs: number;
  /** How long a revoked id is remembered: the longest an access token naming it stays valid. */
  readonly revokedRetentionMs: number;
  readonly maxEntries?: number;
}

/**
 * The hot-path answer to "is this session still on?": a set of revoked session ids filled by
 * the revocation broadcast (so a revocation anywhere counts on every replica as soon as the
 * notification lands), plus a short-TTL cache of sessions seen live. Only a session not seen
 * within the TTL costs a database read (one per session and TTL, shared by concurrent calls).
 * Known answers are plain booleans: no promise, no allocation.
 *
 * A read in flight when a revocation or a reset arrives is not cached (a generation counter),
 * so a stale "live" cannot outlive the announcement that contradicts it.
 */
export class SessionLivenessCache implements SessionLiveness {
  private readonly revoked = new Map<string, number>();
  private readonly live = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private generation = 0;
  private readonly maxEntries: number;

  constructor(
    private readonly lookup: (tenantId: string, sessionId: string) => Promise<boolean>,
    private readonly clock: Clock,
    private readonly options: SessionLivenessCacheOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  /** Wires the cache to a revocation feed. */
  listenTo(revocations: SessionRevocations): this {
    revocations.onRevoked((sessionId) => {
      this.markRevoked(sessionId);
    });
    revocations.onReset(() => {
      this.reset();
    });
    return this;
  }

  isLive(tenantId: string, sessionId: string): boolean | Promise<boolean> {
    const now = this.clock.now().getTime();
    const forgetAt = this.revoked.get(sessionId);
    if (forgetAt !== undefined) {
      if (forgetAt > now) return false;
      this.revoked.delete(sessionId);
    }
    const until = this.live.get(sessionId);
    if (until !== undefined && until > now) return true;
    return this.ask(tenantId, sessionId);
  }

  markRevoked(sessionId: string): void {
    const id = sessionId.toLowerCase();
    this.generation++;
    this.live.delete(id);
    if (this.revoked.size >= this.maxEntries) this.sweep();
    this.revoked.set(id, this.clock.now().getTime() + this.options.revokedRetentionMs);
  }

  /** Forgets every session seen live (revoked ones stay revoked). */
  reset(): void {
    this.generation++;
    this.live.clear();
  }

  private ask(tenantId: string, sessionId: string): Promise<boolean> {
    const pending = this.inflight.get(sessionId);
    if (pending !== undefined) return pending;
    const generation = this.generation;
    const asked = this.lookup(tenantId, sessionId)
      .then((live) => {
        if (generation === this.generation) {
          if (live) {
            if (this.live.size >= this.maxEntries) this.live.clear();
            this.live.set(sessionId, this.clock.now().getTime() + this.options.liveTtlMs);
          } else {
            this.markRevoked(sessionId);
          }
        }
        return live;
      })
      .finally(() => {
        this.inflight.delete(sessionId);
      });
    this.inflight.set(sessionId, asked);
    return asked;
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [id, forgetAt] of this.revoked) if (forgetAt <= now) this.revoked.delete(id);
    if (this.revoked.size >= this.maxEntries) {
      const oldest = this.revoked.keys().next();
      if (oldest.done !== true) this.revoked.delete(oldest.value);
    }
  }
}
