import type { Knex } from 'knex';

import type {
  ClaimedMail,
  Notifier,
  OutboxQueue,
  OutboxBacklog,
  OutgoingMail,
} from '../../../domain/notification/notifier.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { tenantTransaction } from './tenant-transactions.js';
import { SCHEMA } from './pg-schema.js';

const TABLE = `${SCHEMA}.outbox_messages`;

interface ClaimedRow {
  tenant_id: string;
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  body_text: string;
  attempts: number;
}

/** Writes mail into `core.outbox_messages` in the given transaction (its tenant). */
export class PgOutboxNotifier implements Notifier {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly tenantId: string,
    private readonly newId: () => string,
  ) {}

  async notify(mail: OutgoingMail): Promise<void> {
    await this.trx(TABLE).insert({
      tenant_id: this.tenantId,
      id: this.newId(),
      kind: mail.kind,
      recipient: mail.recipient,
      subject: mail.subject,
      body_text: mail.bodyText,
    });
  }
}

/**
 * The outbox across tenants: due messages are claimed through the SECURITY DEFINER function
 * `core.claim_outbox_messages` (FOR UPDATE SKIP LOCKED, a lease), and each is then marked in
 * its own tenant, through row-level security. A sent message's body (it holds a token) is
 * emptied.
 */
export class PgOutboxQueue implements OutboxQueue {
  constructor(
    private readonly db: Knex,
    private readonly maxAttempts = 10,
  ) {}

  async claim(limit: number, leaseMs: number): Promise<readonly ClaimedMail[]> {
    const result = await this.db.raw<{ rows: ClaimedRow[] }>(
      `select * from ${SCHEMA}.claim_outbox_messages(?, ?, ?)`,
      [limit, Math.max(1, Math.ceil(leaseMs / 1000)), this.maxAttempts],
    );
    return result.rows.map((row) => ({
      tenantId: row.tenant_id,
      id: row.id,
      kind: row.kind,
      recipient: row.recipient,
      subject: row.subject,
      bodyText: row.body_text,
      attempts: row.attempts,
    }));
  }

  async markSent(mail: ClaimedMail): Promise<void> {
    await this.inTenant(mail.tenantId, (trx) =>
      trx(TABLE)
        .where({ id: mail.id })
        .update({ sent_at: trx.fn.now(), body_text: '', last_error: null }),
    );
  }

  async markFailed(mail: ClaimedMail, error: string, retryInMs: number): Promise<void> {
    await this.inTenant(mail.tenantId, (trx) =>
      trx(TABLE)
        .where({ id: mail.id })
        .update({
          last_error: error.slice(0, 1000),
          next_attempt_at: trx.raw(`now() + make_interval(secs => ?)`, [retryInMs / 1000]),
        }),
    );
  }

  private async inTenant(
    tenantId: string,
    work: (trx: Knex.Transaction) => Promise<unknown>,
  ): Promise<void> {
    if (!isUuid(tenantId)) throw new Error('outbox: the tenant id must be a UUID');
    await tenantTransaction(this.db, tenantId, work);
  }
}

export interface PgOutboxMaintenanceOptions {
  /** Sent (and given-up) messages are deleted this long after. */
  readonly retentionMs: number;
  readonly maxAttempts: number;
  readonly onPruned?: (count: number) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * Outbox upkeep across tenants through the SECURITY DEFINER functions of migration 010: prunes
 * old messages in small batches (each its own short statement, locked rows skipped), and counts
 * the backlog for the metrics.
 */
export class PgOutboxMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Knex,
    private readonly options: PgOutboxMaintenanceOptions,
  ) {}

  /** One batch; returns how many messages it deleted. */
  async pruneOnce(batchSize: number): Promise<number> {
    const result = await this.db.raw<{ rows: { deleted: number | null }[] }>(
      `select ${SCHEMA}.prune_outbox_messages(?::integer, ?::integer, ?::integer) as deleted`,
      [Math.ceil(this.options.retentionMs / 1000), this.options.maxAttempts, batchSize],
    );
    const deleted = result.rows[0]?.deleted ?? 0;
    if (deleted > 0) this.options.onPruned?.(deleted);
    return deleted;
  }

  /** Batches until one deletes fewer than `batchSize`; returns the total deleted. */
  async pruneAll(batchSize: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.pruneOnce(batchSize);
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  async backlog(): Promise<OutboxBacklog> {
    const result = await this.db.raw<{ rows: { pending: string; failed: string }[] }>(
      `select * from ${SCHEMA}.outbox_backlog(?::integer)`,
      [this.options.maxAttempts],
    );
    const row = result.rows[0];
    return { pending: Number(row?.pending ?? 0), failed: Number(row?.failed ?? 0) };
  }

  /** Runs `pruneAll` every `intervalMs` (unref'd). */
  start(intervalMs: number, batchSize = 500): void {
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

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
