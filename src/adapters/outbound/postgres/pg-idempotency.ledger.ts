import type { Knex } from 'knex';
import pg from 'pg';
import type { IdempotencyLedger } from '../../../domain/idempotency/idempotency-ledger.port.js';
import {
  withinSizeLimit,
  type CompleteRequest,
  type IdempotencyScope,
  type StoredOutcome,
} from '../../../domain/idempotency/idempotency-record.js';
import { idempotencyLeaseLost } from '../../../domain/idempotency/idempotency.errors.js';
import type { Clock } from '../../../domain/shared/clock.port.js';
import {
  currentRequestTransaction,
  joinRequestTransaction,
  PgOpeningRead,
} from './pg-request-transactions.js';
import { SCHEMA, TABLE } from './pg-schema.js';

// Literals for the lookup that travels with the BEGIN (no parameters in that message).
const text = (value: string): string => pg.escapeLiteral(value);
const timestamp = (value: Date): string => `'${value.toISOString()}'::timestamptz`;

/** The SQLSTATE of `idempotency_record_completion` for a key that is someone else's. */
const LEASE_LOST = 'WM001';

/** A view, not a copy: a kept response can be as large as the size limit. */
const bufferView = (bytes: Uint8Array | undefined): Buffer | null =>
  bytes === undefined ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const completionOf = (row: LedgerRow): { fingerprint: string; outcome: StoredOutcome } => ({
  fingerprint: row.fingerprint,
  outcome: {
    code: row.outcome_code,
    body: row.outcome_body ?? undefined,
    message: row.outcome_message ?? '',
    details: row.outcome_details ?? undefined,
    truncated: row.outcome_truncated,
  },
});

const COLUMNS = [
  'fingerprint',
  'outcome_code',
  'outcome_body',
  'outcome_message',
  'outcome_details',
  'outcome_truncated',
] as const;

interface LedgerRow {
  fingerprint: string;
  outcome_code: number;
  outcome_body: Buffer | null;
  outcome_message: string | null;
  outcome_details: Buffer | null;
  outcome_truncated: boolean;
}

/**
 * Completed outcomes in `core.idempotency_keys`, written in the request's own transaction, with
 * its COMMIT.
 * The row's primary key is the last line of defence: whatever the fast store said, a second
 * completion of one key cannot commit, so the effect it carries is rolled back with it.
 */
export class PgIdempotencyLedger implements IdempotencyLedger {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly maxResponseBytes: number,
  ) {}

  /**
   * Sends the row with the request's COMMIT (one round trip for both): the function fails with
   * `WM001` when the key is someone else's, so the COMMIT rolls back and the request's
   * transaction fails with IDEMPOTENCY_LEASE_LOST.
   */
  recordWithinRequest(request: CompleteRequest & { readonly fingerprint: string }): Promise<void> {
    const ambient = currentRequestTransaction();
    if (ambient === undefined) {
      return Promise.reject(new Error('recordWithinRequest needs a request transaction'));
    }
    const { scope, key, leaseToken, fingerprint, retentionMs } = request;
    const outcome = withinSizeLimit(request.outcome, this.maxResponseBytes);
    const now = this.clock.now();
    ambient.sendWithCommit({
      text: `select ${SCHEMA}.idempotency_record_completion(
        $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      values: [
        scope.tenantId,
        scope.principalId,
        scope.operation,
        key,
        fingerprint,
        outcome.code,
        bufferView(outcome.body),
        outcome.message,
        bufferView(outcome.details),
        outcome.truncated,
        new Date(now.getTime() + retentionMs),
        now,
        leaseToken,
      ],
      failure: (error) =>
        (error as { code?: unknown } | undefined)?.code === LEASE_LOST
          ? idempotencyLeaseLost()
          : error,
    });
    return Promise.resolve();
  }

  /**
   * Inside the scope tenant's request transaction it reads there; elsewhere it is one
   * statement (`core.idempotency_completion` sets the tenant for itself), no transaction.
   */
  find(
    scope: IdempotencyScope,
    key: string,
  ): Promise<{ fingerprint: string; outcome: StoredOutcome } | undefined> {
    const ambient = currentRequestTransaction();
    if (ambient?.tenantId === scope.tenantId) {
      return joinRequestTransaction(ambient, scope.tenantId, (trx) => this.findIn(trx, scope, key));
    }
    return this.findAlone(scope, key);
  }

  completionAtOpening(
    scope: IdempotencyScope,
    key: string,
  ): PgOpeningRead<{ fingerprint: string; outcome: StoredOutcome } | undefined> {
    // Under row-level security in the request's tenant, like `findIn`; a function, so that
    // its plan is kept (migration 013).
    const sql = `select * from ${SCHEMA}.idempotency_completion_in_transaction(
       ${text(scope.tenantId)}::uuid,
       ${text(scope.principalId)}, ${text(scope.operation)}, ${text(key)},
       ${timestamp(this.clock.now())})`;
    return new PgOpeningRead(
      sql,
      (rows) => {
        const [row] = rows as LedgerRow[];
        return row === undefined ? undefined : completionOf(row);
      },
      () => this.find(scope, key),
    );
  }

  /** Not async: the connection is asked for before this returns, so a check above holds. */
  private findAlone(
    scope: IdempotencyScope,
    key: string,
  ): Promise<{ fingerprint: string; outcome: StoredOutcome } | undefined> {
    return this.db
      .raw<{ rows: LedgerRow[] }>(`select * from ${SCHEMA}.idempotency_completion(?, ?, ?, ?, ?)`, [
        scope.tenantId,
        scope.principalId,
        scope.operation,
        key,
        this.clock.now(),
      ])
      .then(({ rows }) => {
        const [row] = rows;
        return row === undefined ? undefined : completionOf(row);
      });
  }

  private async findIn(
    trx: Knex.Transaction,
    scope: IdempotencyScope,
    key: string,
  ): Promise<{ fingerprint: string; outcome: StoredOutcome } | undefined> {
    const row = (await trx(TABLE.idempotencyKeys)
      .first(...COLUMNS)
      .where({
        principal_id: scope.principalId,
        operation: scope.operation,
        idempotency_key: key,
        state: 'completed',
      })
      .andWhere('expires_at', '>', this.clock.now())) as LedgerRow | undefined;
    return row === undefined ? undefined : completionOf(row);
  }
}
