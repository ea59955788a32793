import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type {
  BeginOutcome,
  IdempotencyEvents,
} from '../../../domain/idempotency/idempotency-events.port.js';
import type { IdempotencyScope } from '../../../domain/idempotency/idempotency-record.js';

/** Idempotency metrics for `/metrics`, and a log line for every mismatch and lost lease. */
export class PrometheusIdempotencyEvents implements IdempotencyEvents {
  private readonly begins: Counter<'outcome'>;
  private readonly storedBytes: Histogram;
  private readonly waitSeconds: Histogram;
  private readonly leasesLost: Counter;
  readonly pruned: Counter;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.begins = new Counter({
      name: 'idempotency_begins_total',
      help: 'Idempotent calls by how they began: new, replayed, in_progress, mismatch',
      labelNames: ['outcome'],
      registers: [registry],
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
    this.begins.inc({ outcome });
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
