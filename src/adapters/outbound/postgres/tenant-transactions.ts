import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import type pg from 'pg';
import { isUuid } from '../../../domain/shared/uuid.js';
import { TENANT_SETTING } from './pg-schema.js';

/**
 * A read sent in the message of the BEGIN (literals escaped, made by this service's own code:
 * a message of several statements takes no parameters); `take` receives its rows before the
 * transaction's work starts.
 */
export interface OpeningStatement {
  readonly sql: string;
  readonly take: (rows: readonly unknown[]) => void;
}

/** What `tenantTransaction` asks the client for, passed through knex's transaction config. */
interface TenantTransactionOptions {
  readonly tenantId: string;
  readonly opening?: OpeningStatement;
}

const OPTIONS = 'wemasterTenant';

// knex keeps its dialects CommonJS without type declarations: only what is used is typed here.
interface KnexTransactionBase {
  isolationLevel?: string;
  readOnly?: boolean;
  begin(connection: unknown): Promise<unknown>;
}
type KnexTransactionClass = new (
  client: unknown,
  container: unknown,
  config: unknown,
  outerTx: unknown,
) => KnexTransactionBase;

const require = createRequire(import.meta.url);
const PgClient = require('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;
const PgTransaction =
  require('knex/lib/dialects/postgres/execution/pg-transaction.js') as KnexTransactionClass;

/** A knex transaction that sets the tenant (and makes an opening read) in its BEGIN's message. */
class TenantTransaction extends PgTransaction {
  private readonly tenant: TenantTransactionOptions | undefined;

  constructor(client: unknown, container: unknown, config: unknown, outerTx: unknown) {
    super(client, container, config, outerTx);
    // knex begins only once it has a connection, in a later job: this is set by then.
    this.tenant = (config as Record<string, unknown> | undefined)?.[OPTIONS] as
      TenantTransactionOptions | undefined;
  }

  override begin(connection: unknown): Promise<unknown> {
    const tenant = this.tenant;
    if (tenant === undefined) return super.begin(connection);
    // A checked UUID: nothing in it needs quoting.
    if (!isUuid(tenant.tenantId)) {
      return Promise.reject(new Error('tenant transaction: the tenant id must be a UUID'));
    }
    if (this.isolationLevel !== undefined || this.readOnly === true) {
      return Promise.reject(new Error('tenant transaction: no isolation level or read only'));
    }
    const { opening } = tenant;
    const sql =
      `BEGIN; SELECT set_config('${TENANT_SETTING}', '${tenant.tenantId}', true);` +
      (opening === undefined ? '' : `\n${opening.sql};`);
    // Straight to node-postgres: knex would read every `?` in a literal as a placeholder.
    const client = connection as pg.ClientBase & { __knex__disposed?: unknown };
    return client
      .query(sql)
      .then((results: unknown) => {
        const last = Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : undefined;
        opening?.take(last?.rows ?? []);
      })
      .catch(async (error: unknown) => {
        // Whatever failed after BEGIN ran, the transaction is open: never hand such a
        // connection back. One that cannot even roll back is thrown away (knex's pool checks
        // the mark before lending a connection again).
        await client.query('ROLLBACK').catch((rollbackFailure: unknown) => {
          client.__knex__disposed = rollbackFailure;
        });
        throw error;
      });
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
 * the setting): the setting and `opening` travel in the message of its BEGIN, one round trip.
 * `db` must be a knex instance made by `createKnex`, not a transaction (whose nested one would
 * be a savepoint, where the tenant cannot be set this way).
 */
export function tenantTransaction<T>(
  db: Knex,
  tenantId: string,
  work: (trx: Knex.Transaction) => Promise<T>,
  opening?: OpeningStatement,
): Promise<T> {
  if (!isUuid(tenantId)) throw new Error('tenant transaction: the tenant id must be a UUID');
  if (!(db.client instanceof TenantScopedPgClient) || db.isTransaction === true) {
    throw new Error('tenant transaction: needs a knex instance from createKnex');
  }
  const options: TenantTransactionOptions = { tenantId, opening };
  return db.transaction(work, { [OPTIONS]: options } as Knex.TransactionConfig);
}
