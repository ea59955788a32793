import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import type pg from 'pg';
import { isUuid } from '../../../domain/shared/uuid.js';
import { TENANT_SETTING } from './pg-schema.js';

/**
 * Statements a transaction sends in one message with its COMMIT: they cost no round trip of
 * their own. If one fails, the transaction rolls back and `explain` may name the failure.
 * Only statements made by this service's own code, with literals escaped, belong here.
 */
export interface FinalStatement {
  readonly sql: string;
  /** The error a failure of this statement stands for (e.g. a lost lease), or undefined. */
  readonly explain?: (error: unknown) => Error | undefined;
}

/**
 * A read sent in the message of the BEGIN (literals escaped, made by this service's own code);
 * `take` receives its rows before the transaction's work starts.
 */
export interface OpeningStatement {
  readonly sql: string;
  readonly take: (rows: readonly unknown[]) => void;
}

export interface TenantTransactionExtras {
  /** Read when the work is done, so the work may still add to them. */
  readonly finalStatements?: readonly FinalStatement[];
  readonly opening?: OpeningStatement;
}

/** What `tenantTransaction` asks the client for, passed through knex's transaction config. */
interface TenantTransactionOptions extends TenantTransactionExtras {
  readonly tenantId: string;
}

const OPTIONS = 'wemasterTenant';

// knex keeps its dialects CommonJS without type declarations: only what is used is typed here.
interface KnexTransactionBase {
  _completed: boolean;
  _resolver(value: unknown): void;
  query(connection: unknown, sql: string, status?: number, value?: unknown): Promise<unknown>;
  begin(connection: unknown): Promise<unknown>;
  commit(connection: unknown, value: unknown): Promise<unknown>;
  rollback(connection: unknown, error: unknown): Promise<unknown>;
  _evaluateContainer(config: Record<string, unknown>, container: unknown): Promise<unknown>;
}
type KnexTransactionClass = new (...args: unknown[]) => KnexTransactionBase;

const require = createRequire(import.meta.url);
const PgClient = require('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;
const PgTransaction =
  require('knex/lib/dialects/postgres/execution/pg-transaction.js') as KnexTransactionClass;

/**
 * A knex transaction that sets the tenant (and makes an opening read) in the round trip of its
 * BEGIN, and sends its final statements with its COMMIT.
 */
class TenantTransaction extends PgTransaction {
  private tenant: TenantTransactionOptions | undefined;

  // Called by knex's constructor before any statement: the only place to see the config.
  override _evaluateContainer(config: Record<string, unknown>, container: unknown) {
    this.tenant = config[OPTIONS] as TenantTransactionOptions | undefined;
    return super._evaluateContainer(config, container);
  }

  override begin(connection: unknown): Promise<unknown> {
    const tenant = this.tenant;
    if (tenant === undefined) return super.begin(connection);
    // A checked UUID: nothing in it needs quoting.
    if (!isUuid(tenant.tenantId)) {
      return Promise.reject(new Error('tenant transaction: the tenant id must be a UUID'));
    }
    const { opening } = tenant;
    const sql =
      `BEGIN; SELECT set_config('${TENANT_SETTING}', '${tenant.tenantId}', true);` +
      (opening === undefined ? '' : `\n${opening.sql};`);
    // Straight to node-postgres: knex would read every `?` in a literal as a placeholder.
    const client = connection as pg.ClientBase;
    return client.query(sql).then(
      (results: unknown) => {
        const last = Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : undefined;
        opening?.take(last?.rows ?? []);
      },
      async (error: unknown) => {
        // A failure after BEGIN leaves the transaction open: never hand such a connection back.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      },
    );
  }

  override commit(connection: unknown, value: unknown): Promise<unknown> {
    const final = this.tenant?.finalStatements ?? [];
    if (final.length === 0) return super.commit(connection, value);
    const sql = `${final.map((statement) => statement.sql).join(';\n')};\nCOMMIT;`;
    // Straight to node-postgres: knex would read every `?` in a literal as a placeholder.
    return (connection as pg.ClientBase).query(sql).then(
      () => {
        this._completed = true;
        this._resolver(value);
      },
      (error: unknown) => {
        // The failed statement skipped the COMMIT behind it: the transaction is still open (and
        // aborted). Roll it back before the connection goes back to the pool, and fail with
        // what the statement meant.
        const meant = final.map((statement) => statement.explain?.(error)).find(Boolean);
        return this.rollback(connection, meant ?? error);
      },
    );
  }
}

/** knex's Postgres client, with transactions that can open in a tenant (`tenantTransaction`). */
export class TenantScopedPgClient extends PgClient {
  override transaction(container: unknown, config: unknown, outerTx: unknown): Knex.Transaction {
    return new TenantTransaction(this, container, config, outerTx) as unknown as Knex.Transaction;
  }
}

/** Sets the tenant for the rest of the transaction (transaction-locally), one round trip. */
export const setTenant = async (trx: Knex.Transaction, tenantId: string): Promise<void> => {
  await trx.raw('select set_config(?, ?, true)', [TENANT_SETTING, tenantId]);
};

/**
 * A transaction confined to `tenantId` from its first statement on (row-level security reads
 * the setting): the setting and `extras.opening` travel with the BEGIN, and
 * `extras.finalStatements` with the COMMIT. `db` must be made by `createKnex`.
 */
export function tenantTransaction<T>(
  db: Knex,
  tenantId: string,
  work: (trx: Knex.Transaction) => Promise<T>,
  extras: TenantTransactionExtras = {},
): Promise<T> {
  if (!isUuid(tenantId)) throw new Error('tenant transaction: the tenant id must be a UUID');
  if (!(db.client instanceof TenantScopedPgClient)) {
    throw new Error('tenant transaction: the knex instance must come from createKnex');
  }
  const options: TenantTransactionOptions = { tenantId, ...extras };
  return db.transaction(work, { [OPTIONS]: options } as Knex.TransactionConfig);
}
