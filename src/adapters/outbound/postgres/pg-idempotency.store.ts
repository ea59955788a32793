import { randomUUID } from 'node:crypto';

import type { Knex } from 'knex';

import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
  StoredOutcome,
} from '../../../domain/idempotency/idempotency-record.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  type IdempotencyStore,
} from '../../../domain/idempotency/idempotency-store.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { SCHEMA, TABLE } from './pg-schema.js';
import { tenantTransaction } from './tenant-transactions.js';

export interface PgIdempotencyStoreOptions {
  /** Bodies above this many bytes are not kept (status only). */
  readonly maxResponseBytes?: number;
  /** Starts every lease token this store issues (lets a failover store route tokens back). */
  readonly leaseTokenPrefix?: string;
}

interface RecordRow {
  fingerprint: string;
  state: 'in_progress' | 'completed';
  expires_at: Date;
  outcome_code: number | null;
  outcome_body: Buffer | null;
  outcome_message: string | null;
  outcome_details: Buffer | null;
  outcome_truncated: boolean;
}

const PK = 'tenant_id = ? and principal_id = ? and operation = ? and idempotency_key = ?';
/** The current, live lease of `lease_token` (fencing): bindings token, now. */
const LEASED = "lease_token = ? and state = 'in_progress' and lease_expires_at > ?";
/** A begin may take the row over: the lease or the retention is over (binding: now). */
const EXPIRED = 'k.expires_at <= ?';

/** How many times begin retries when the row it lost to vanished or expired before its read. */
const BEGIN_ATTEMPTS = 5;

/**
 * The idempotency ledger in `core.idempotency_keys` (migration 002), for a knex connected as
 * the app role. Every call is one short transaction with the scope's tenant set
 * transaction-locally, so row level security confines it to that tenant. Times come from the
 * clock and are passed as parameters (never SQL `now()`), so expiry is judged on read with
 * the store's clock, like every other adapter.
 *
 * - begin: one `INSERT ... ON CONFLICT DO UPDATE ... WHERE <expired>` claims a missing or
 *   expired key (exactly one of any number of concurrent callers wins); the losers read the
 *   row the conflict locked for them.
 * - complete / renew / release: one fenced UPDATE on (token, in progress, lease live).
 * - release cannot DELETE (the app role has no DELETE grant): it ends the lease now and clears
 *   the token, so the next begin takes the key over; `PgIdempotencyPruner` deletes it later.
 */
export class PgIdempotencyStore implements IdempotencyStore {
  private readonly maxResponseBytes: number;
  private readonly leaseTokenPrefix: string;

  constructor(
    private readonly appKnex: Knex,
    private readonly clock: Clock,
    options: PgIdempotencyStoreOptions = {},
  ) {
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.leaseTokenPrefix = options.leaseTokenPrefix ?? '';
  }

  async begin(request: BeginRequest): Promise<BeginResult> {
    const { scope, key, fingerprint, leaseMs } = request;
    return this.inTenant(scope, async (trx) => {
      for (let attempt = 1; ; attempt++) {
        const now = this.clock.now();
        const leaseToken = `${this.leaseTokenPrefix}${randomUUID()}`;
        const leaseExpiresAt = new Date(now.getTime() + leaseMs);
        const claimed = await trx.raw<{ rows: { lease_expires_at: Date }[] }>(
          `insert into ${TABLE.idempotencyKeys} as k
             (tenant_id, principal_id, operation, idempotency_key, fingerprint, state,
              lease_token, lease_expires_at, expires_at, created_at, updated_at)
           values (?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, ?)
           on conflict (tenant_id, principal_id, operation, idempotency_key) do update
             set fingerprint = excluded.fingerprint,
                 state = 'in_progress',
                 lease_token = excluded.lease_token,
                 lease_expires_at = excluded.lease_expires_at,
                 expires_at = excluded.expires_at,
                 outcome_code = null,
                 outcome_body = null,
                 outcome_message = null,
                 outcome_details = null,
                 outcome_truncated = false,
                 created_at = excluded.created_at,
                 updated_at = excluded.updated_at
             where ${EXPIRED}
           returning k.lease_expires_at`,
          [
            scope.tenantId,
            scope.principalId,
            scope.operation,
            key,
            fingerprint,
            leaseToken,
            leaseExpiresAt,
            leaseExpiresAt,
            now,
            now,
            now,
          ],
        );
        const won = claimed.rows[0];
        if (won !== undefined) {
          return { state: 'new', leaseToken, leaseExpiresAt: won.lease_expires_at };
        }
        // A live record: ON CONFLICT locked it for this transaction, so this read sees it as is.
        const existing = await trx.raw<{ rows: RecordRow[] }>(
          `select fingerprint, state, expires_at, outcome_code, outcome_body, outcome_message,
                  outcome_details, outcome_truncated
             from ${TABLE.idempotencyKeys} where ${PK}`,
          [scope.tenantId, scope.principalId, scope.operation, key],
        );
        const row = existing.rows[0];
        if (row !== undefined && row.expires_at.getTime() > now.getTime()) {
          return toBeginResult(row, fingerprint);
        }
        // Pruned or expired in between (the clock moved): claim it again.
        if (attempt >= BEGIN_ATTEMPTS) {
          throw new Error('idempotency begin: the record kept changing under the claim');
        }
      }
    });
  }

  async complete(request: CompleteRequest): Promise<boolean> {
    const { scope, key, leaseToken, outcome, retentionMs } = request;
    const truncated =
      outcome.truncated ||
      (outcome.body !== undefined && outcome.body.byteLength > this.maxResponseBytes);
    const body = truncated ? undefined : outcome.body;
    return this.inTenant(scope, async (trx) => {
      const now = this.clock.now();
      const result = await trx.raw<{ rowCount: number | null }>(
        `update ${TABLE.idempotencyKeys}
            set state = 'completed',
                lease_token = null,
                lease_expires_at = null,
                outcome_code = ?,
                outcome_body = ?,
                outcome_message = ?,
                outcome_details = ?,
                outcome_truncated = ?,
                expires_at = ?,
                updated_at = ?
          where ${PK} and ${LEASED}`,
        [
          outcome.code,
          toBuffer(body),
          outcome.message,
          toBuffer(outcome.details),
          truncated,
          new Date(now.getTime() + retentionMs),
          now,
          ...pkBindings(scope, key),
          leaseToken,
          now,
        ],
      );
      return result.rowCount === 1;
    });
  }

  async release(scope: IdempotencyScope, key: string, leaseToken: string): Promise<boolean> {
    return this.inTenant(scope, async (trx) => {
      const now = this.clock.now();
      const result = await trx.raw<{ rowCount: number | null }>(
        `update ${TABLE.idempotencyKeys}
            set lease_token = null, lease_expires_at = ?, expires_at = ?, updated_at = ?
          where ${PK} and ${LEASED}`,
        [now, now, now, ...pkBindings(scope, key), leaseToken, now],
      );
      return result.rowCount === 1;
    });
  }

  async renew(
    scope: IdempotencyScope,
    key: string,
    leaseToken: string,
    leaseMs: number,
  ): Promise<boolean> {
    return this.inTenant(scope, async (trx) => {
      const now = this.clock.now();
      const until = new Date(now.getTime() + leaseMs);
      const result = await trx.raw<{ rowCount: number | null }>(
        `update ${TABLE.idempotencyKeys}
            set lease_expires_at = ?, expires_at = ?, updated_at = ?
          where ${PK} and ${LEASED}`,
        [until, until, now, ...pkBindings(scope, key), leaseToken, now],
      );
      return result.rowCount === 1;
    });
  }

  /** One short transaction with the scope's tenant set transaction-locally (RLS). */
  private async inTenant<T>(
    scope: IdempotencyScope,
    work: (trx: Knex.Transaction) => Promise<T>,
  ): Promise<T> {
    if (!isUuid(scope.tenantId)) throw new Error('idempotency: the tenant id must be a UUID');
    return tenantTransaction(this.appKnex, scope.tenantId, work);
  }
}

const pkBindings = (scope: IdempotencyScope, key: string): string[] => [
  scope.tenantId,
  scope.principalId,
  scope.operation,
  key,
];

const toBuffer = (bytes: Uint8Array | undefined): Buffer | null =>
  bytes === undefined ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A plain Uint8Array copy (not a Buffer view of the driver's memory). */
const toBytes = (buffer: Buffer | null): Uint8Array | undefined =>
  buffer === null ? undefined : new Uint8Array(buffer);

function toBeginResult(row: RecordRow, fingerprint: string): BeginResult {
  if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
  if (row.state === 'in_progress') return { state: 'in_progress' };
  const outcome: StoredOutcome = {
    code: row.outcome_code ?? 0,
    body: toBytes(row.outcome_body),
    message: row.outcome_message ?? '',
    details: toBytes(row.outcome_details),
    truncated: row.outcome_truncated,
  };
  return { state: 'completed', outcome, expiresAt: row.expires_at };
}

export interface PgIdempotencyPrunerOptions {
  /** Called after every batch that deleted rows, with how many (e.g. a metrics counter). */
  readonly onPruned?: (count: number) => void;
  /** Called when a prune run fails; the timer keeps going. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Deletes expired idempotency records of every tenant through `core.idempotency_prune` (the
 * app role cannot DELETE). Batches are small and skip locked rows, so a run never holds long
 * locks nor waits on a request. Safe to run on every replica at once.
 */
export class PgIdempotencyPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly appKnex: Knex,
    private readonly options: PgIdempotencyPrunerOptions = {},
  ) {}

  /** One batch: deletes up to `batchSize` expired rows and returns how many it deleted. */
  async pruneOnce(batchSize: number): Promise<number> {
    const result = await this.appKnex.raw<{ rows: { deleted: number | null }[] }>(
      `select ${SCHEMA}.idempotency_prune(?::integer) as deleted`,
      [batchSize],
    );
    const deleted = result.rows[0]?.deleted ?? 0;
    if (deleted > 0) this.options.onPruned?.(deleted);
    return deleted;
  }

  /** Batches until one deletes fewer than `batchSize` rows; returns the total deleted. */
  async pruneAll(batchSize: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.pruneOnce(batchSize);
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  /** Runs `pruneAll` every `intervalMs` (unref'd: it never keeps the process alive). */
  start(intervalMs: number, batchSize = 1000): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.pruneAll(batchSize)
        .then(
          () => undefined,
          (error: unknown) => this.options.onError?.(error),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
