import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type {
  BeginOutcome,
  IdempotencyEvents,
} from '../../../domain/idempotency/idempotency-events.port.js';
import type { IdempotencyScope } from '../../../domain/idempotency/idempotency-record.js';

const OUTCOMES: readonly BeginOutcome[] = ['new', 'replayed', 'in_progress', 'mismatch'];

/** Idempotency metrics for `/metrics`, and a log line for every mismatch and lost lease. */
export class PrometheusIdempotencyEvents implements IdempotencyEvents {
  /**
   * Plain numbers, handed to prom-client when it is scraped: a replay answered from memory is
   * only a few microseconds, and a labelled `inc` (label hashing, validation) was a sizeable
   * part of it.
   */
  private readonly beginCounts: Record<BeginOutcome, number> = {
    new: 0,
    replayed: 0,
    in_progress: 0,
    mismatch: 0,
  };
  private readonly storedBytes: Histogram;
  private readonly waitSeconds: Histogram;
  private readonly leasesLost: Counter;
  readonly pruned: Counter;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
  ) {
    const beginCounts = this.beginCounts;
    new Counter({
      name: 'idempotency_begins_total',
      help: 'Idempotent calls by how they began: new, replayed, in_progress, mismatch',
      labelNames: ['outcome'],
      registers: [registry],
      collect(this: Counter<'outcome'>) {
        this.reset();
        for (const outcome of OUTCOMES) this.inc({ outcome }, beginCounts[outcome]);
      },
    });
    this.storedBytes = new Histogram({
      name: 'idempotency_stored_response_bytes',
      help: 'Size of the responses kept for replay',
      buckets: [0, 64, 256, 1024, 4096, 16384, 65536, 262144],
      registers: [registry],
    });
    this.waitSeconds = new Histogram({
      name: 'idempotency_lock_wait_seconds',
      help: 'How long retries waited for a running first call',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    });
    this.leasesLost = new Counter({
      name: 'idempotency_leases_lost_total',
      help: 'Holders whose lease lapsed and was taken over',
      registers: [registry],
    });
    this.pruned = new Counter({
      name: 'idempotency_cleanup_deleted_total',
      help: 'Expired idempotency records deleted by the cleanup job',
      registers: [registry],
    });
  }

  begun(outcome: BeginOutcome): void {
    this.beginCounts[outcome] += 1;
  }

  mismatch(scope: IdempotencyScope, key: string): void {
    this.logger.warn(
      { tenantId: scope.tenantId, principal: scope.principalId, operation: scope.operation, key },
      'idempotency key reused with a different request',
    );
  }

  leaseLost(scope: IdempotencyScope, key: string): void {
    this.leasesLost.inc();
    this.logger.warn(
      { tenantId: scope.tenantId, principal: scope.principalId, operation: scope.operation, key },
      'idempotency lease lost to another holder',
    );
  }

  stored(bytes: number): void {
    this.storedBytes.observe(bytes);
  }

  waited(ms: number): void {
    this.waitSeconds.observe(ms / 1000);
  }
}
