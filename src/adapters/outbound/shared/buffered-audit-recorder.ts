import { AsyncResource } from 'node:async_hooks';

import type { AuditEvent } from '../../../domain/audit/audit-event.js';
import type { AuditLog } from '../../../domain/audit/audit-log.port.js';
import type { AuditRecorder } from '../../../domain/audit/audit-recorder.port.js';

export interface BufferedAuditRecorderOptions {
  /** Events held at most; beyond it new events are dropped (and counted), never blocking. */
  readonly maxQueue: number;
  /** Events per append. */
  readonly batchSize: number;
  /** How often the buffer is written when it holds fewer than `batchSize` events. */
  readonly flushIntervalMs: number;
  /** Tries per batch before it is given up (and counted as dropped). */
  readonly maxAttempts: number;
  /** First retry delay; doubles per try, capped at `maxRetryDelayMs`. */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /**
   * `reason`: `overflow` (queue full), `write_failed` (a batch failed every try) or `rejected`
   * (an event the database refuses, e.g. an id recorded twice).
   */
  readonly onDropped: (
    count: number,
    reason: 'overflow' | 'write_failed' | 'rejected',
    error?: unknown,
  ) => void;
  readonly onWritten?: (count: number) => void;
  /** A failed try that will be retried. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /**
   * An append refused because it does not continue its tenant's chain (the chain guard's
   * SQLSTATE, or a sequence already taken): never the events' fault, so the batch is retried
   * (re-reading the head), but someone moved the chain under the service: raise an alarm.
   */
  readonly onChainConflict?: (error: unknown, attempt: number) => void;
}

export const DEFAULT_RECORDER_OPTIONS: Omit<BufferedAuditRecorderOptions, 'onDropped'> = {
  maxQueue: 100_000,
  batchSize: 500,
  flushIntervalMs: 200,
  maxAttempts: 6,
  retryDelayMs: 100,
  maxRetryDelayMs: 5_000,
};

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * The hot-path audit recorder: `record` only pushes into a bounded in-memory queue (it never
 * waits, never throws); a writer appends the queue in batches through the `AuditLog`, every
 * `flushIntervalMs` or as soon as a batch is full, retrying a failed batch with exponential
 * backoff. One writer at a time, so batches keep their recording order.
 *
 * Writes never join the request transaction of whoever recorded the event (a denied check
 * must be kept even when its request rolls back, and must not hold the tenant's chain lock for
 * a request's lifetime): the writer always runs in the async context the recorder was created
 * in (composition, at start-up), never the recording request's.
 *
 * `flush` writes everything recorded so far (shutdown calls it after the servers stopped and
 * before the pool closes); `stop` also ends the timer.
 */
export class BufferedAuditRecorder implements AuditRecorder {
  private queue: AuditEvent[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Runs its argument in the creator's async context, whoever calls it. */
  private readonly detached: <T>(work: () => T) => T;

  constructor(
    private readonly log: AuditLog,
    private readonly options: BufferedAuditRecorderOptions,
  ) {
    const resource = new AsyncResource('BufferedAuditRecorder');
    this.detached = (work) => resource.runInAsyncScope(work);
  }

  /** Events waiting to be written. */
  get pending(): number {
    return this.queue.length;
  }

  record(event: AuditEvent): void {
    try {
      if (this.queue.length >= this.options.maxQueue) {
        this.options.onDropped(1, 'overflow');
        return;
      }
      this.queue.push(event);
      if (this.queue.length >= this.options.batchSize && this.writing === undefined) {
        void this.drain();
      }
    } catch {
      // Recording is best effort by contract: the caller's work must never fail because of it.
    }
  }

  /** Starts the periodic writer. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = this.detached(() =>
      setInterval(() => {
        if (this.queue.length > 0 && this.writing === undefined) void this.drain();
      }, this.options.flushIntervalMs),
    );
    this.timer.unref();
  }

  /** Writes every event recorded before the call (and any recorded while it runs). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.writing !== undefined) {
      await (this.writing ?? this.drain());
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private drain(): Promise<void> {
    if (this.writing === undefined) {
      const running = this.detached(() => this.writeQueued());
      this.writing = running;
      const done = (): void => {
        this.writing = undefined;
      };
      running.then(done, done);
    }
    return this.writing;
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.batchSize);
      await this.write(batch);
    }
  }

  private async write(batch: readonly AuditEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.log.append(batch);
        this.options.onWritten?.(batch.length);
        return;
      } catch (error) {
        const chainConflict = isChainConflict(error);
        if (chainConflict) this.options.onChainConflict?.(error, attempt);
        if (!chainConflict && isRejection(error)) {
          await this.isolateRejected(batch, error);
          return;
        }
        if (attempt >= this.options.maxAttempts) {
          const tenants = chainConflict ? byTenant(batch) : [];
          if (tenants.length > 1) {
            // One tenant's chain is stuck: the other tenants' events still get written.
            for (const events of tenants) await this.write(events);
            return;
          }
          this.options.onDropped(batch.length, 'write_failed', error);
          return;
        }
        this.options.onRetry?.(error, attempt);
        await sleep(
          Math.min(this.options.retryDelayMs * 2 ** (attempt - 1), this.options.maxRetryDelayMs),
        );
      }
    }
  }

  /**
   * The database refused the batch's content (retrying cannot help): halve it until only the
   * refused events are left, so one bad event never costs the others their place in the log.
   */
  private async isolateRejected(batch: readonly AuditEvent[], error: unknown): Promise<void> {
    if (batch.length === 1) {
      this.options.onDropped(1, 'rejected', error);
      return;
    }
    const half = Math.ceil(batch.length / 2);
    await this.write(batch.slice(0, half));
    await this.write(batch.slice(half));
  }
}

/** The batch's events grouped by tenant, in first-seen order. */
function byTenant(batch: readonly AuditEvent[]): AuditEvent[][] {
  const groups = new Map<string, AuditEvent[]>();
  for (const event of batch) {
    const key = event.tenantId.toLowerCase();
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [event]);
    else group.push(event);
  }
  return [...groups.values()];
}

/** SQLSTATE of the database's chain guard (migration 011): the row does not continue the head. */
export const AUDIT_CHAIN_CONFLICT = 'WMA01';
const SEQUENCE_KEY = 'audit_events_tenant_sequence_key';

/**
 * The batch was refused for its place in the chain, not for its content: the guard's
 * continuity error, or a unique violation on the (tenant, sequence) key.
 */
export function isChainConflict(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === AUDIT_CHAIN_CONFLICT || (code === '23505' && constraint === SEQUENCE_KEY);
}

/**
 * A refusal of the data itself, not of the moment: SQLSTATE classes 22 (data exception: a NUL
 * byte, an invalid ip) and 23 (integrity: an event id recorded twice), as Postgres and the
 * memory twin report them.
 */
function isRejection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
