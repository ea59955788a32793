import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
} from '../../domain/idempotency/idempotency-record.js';
import type { IdempotencyStore } from '../../domain/idempotency/idempotency-store.port.js';

/**
 * A store that turns to a fallback (Postgres) when the primary (Redis) fails. The fallback
 * issues lease tokens starting with `fallbackTokenPrefix`, so every lease is completed, renewed
 * or released where it was granted, on any replica. Safe because the ledger row written with
 * every effect refuses a second completion of one key, whichever store granted the lease.
 */
export class FailoverIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly primary: IdempotencyStore,
    private readonly fallback: IdempotencyStore,
    private readonly fallbackTokenPrefix: string,
    private readonly onFailover: (error: unknown) => void,
  ) {}

  async begin(request: BeginRequest): Promise<BeginResult> {
    try {
      return await this.primary.begin(request);
    } catch (error) {
      this.onFailover(error);
      return this.fallback.begin(request);
    }
  }

  complete(request: CompleteRequest): Promise<boolean> {
    return this.storeOf(request.leaseToken).complete(request);
  }

  release(scope: IdempotencyScope, key: string, leaseToken: string): Promise<boolean> {
    return this.storeOf(leaseToken).release(scope, key, leaseToken);
  }

  renew(
    scope: IdempotencyScope,
    key: string,
    leaseToken: string,
    leaseMs: number,
  ): Promise<boolean> {
    return this.storeOf(leaseToken).renew(scope, key, leaseToken, leaseMs);
  }

  private storeOf(leaseToken: string): IdempotencyStore {
    return leaseToken.startsWith(this.fallbackTokenPrefix) ? this.fallback : this.primary;
  }
}
