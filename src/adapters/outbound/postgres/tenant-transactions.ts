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

/**
 * A write sent in one message with the transaction's COMMIT (extended protocol, with
 * parameters: when it fails, Postgres' error log has the statement's text, not its values;
 * statement logging such as `log_statement = 'all'` would still show them). It must fail, not
 * merely write nothing, when the transaction must not commit: a failed transaction's COMMIT
 * rolls back.
 */
export interface CommitStatement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** What the transaction fails with when this statement fails; the error itself if unset. */
  readonly failure?: (error: unknown) => unknown;
}

/** Takes the writes a tenant transaction sends with its COMMIT, until the COMMIT is sent. */
export type SendWithCommit = (statement: CommitStatement) => void;

/** The writes waiting for a transaction's COMMIT. */
class CommitCarriage {
  readonly statements: CommitStatement[] = [];
  private sealed = false;

  readonly carry: SendWithCommit = (statement) => {
    if (this.sealed) throw new Error('tenant transaction: its COMMIT has been sent');
    this.statements.push(statement);
  };

  /** Hands the statements over once: a second COMMIT, or one after a rollback, sends none. */
  seal(): readonly CommitStatement[] {
    this.sealed = true;
    return this.statements.splice(0);
  }
}

/** What `tenantTransaction` asks the client for, passed through knex's transaction config. */
interface TenantTransactionOptions {
  readonly tenantId: string;
  readonly opening?: OpeningStatement;
  readonly atCommit: CommitCarriage;
}

const OPTIONS = 'wemasterTenant';

// knex keeps its dialects CommonJS without type declarations: only what is used is typed here.
interface KnexTransactionBase {
  isolationLevel?: string;
  readOnly?: boolean;
  _completed: boolean;
  _resolver(value: unknown): void;
  _rejecter(error: unknown): void;
  begin(connection: unknown): Promise<unknown>;
  commit(connection: unknown, value: unknown): Promise<unknown>;
  rollback(connection: unknown, error: unknown): Promise<unknown>;
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
// How node-postgres turns a parameter into what it sends (a string, a Buffer or null).
const { prepareValue } = require('pg/lib/utils.js') as {
  prepareValue: (value: unknown) => unknown;
};

/**
 * A knex transaction that sets the tenant (and makes an opening read) in its BEGIN's message,
 * and whose COMMIT fails unless Postgres answers COMMIT.
 */
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
    const client = connection as PgConnection;
    return client
      .query(sql)
      .then((results: unknown) => {
        const last = Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : undefined;
        opening?.take(last?.rows ?? []);
      })
      .catch(async (error: unknown) => {
        // Whatever failed after BEGIN ran, the transaction is open: never hand such a
        // connection back. One that cannot even roll back is thrown away.
        await rollBackOrDiscard(client);
        throw error;
      });
  }

  /** Only a top-level transaction's: knex releases a savepoint through `release` instead. */
  override commit(connection: unknown, value: unknown): Promise<unknown> {
    // A completed transaction's commit is knex's to refuse.
    if (this._completed) return super.commit(connection, value);
    const statements = this.tenant?.atCommit.seal() ?? [];
    // Sent here, not through knex, for every transaction (of a tenant or not, with something
    // carried or not): knex would take the ROLLBACK Postgres answers for a transaction with a
    // failed statement for a commit.
    // As knex's own commit does: no query of the transaction may follow, and the transaction's
    // promise settles with the outcome (this one never rejects).
    this._completed = true;
    return commitWith(connection as PgConnection, statements).then(
      () => {
        this._resolver(value);
      },
      (error: unknown) => {
        this._rejecter(error);
      },
    );
  }

  override rollback(connection: unknown, error: unknown): Promise<unknown> {
    // What was given for the COMMIT goes with the transaction, never out on its own.
    this.tenant?.atCommit.seal();
    return super.rollback(connection, error);
  }
}

/** node-postgres' client as knex lends it, with what its pipeline mode needs (pg 8.23). */
type PgConnection = pg.ClientBase & {
  pipeline: boolean;
  readonly connection: {
    readonly stream: { cork(): void; uncork(): void; destroy(): void };
  };
  /** knex's mark for a connection its pool must not lend again. */
  __knex__disposed?: unknown;
};

/**
 * Never lends `client` again, and closes it now: Postgres rolls back what it had open and frees
 * its locks (a tenant row, an audit chain head) at once, not when the pool next looks at it.
 * `reason` is what knex logs when its pool drops the connection: fixed text, never an error's
 * message (which might quote a value).
 */
function discard(client: PgConnection, reason: string): void {
  const why = `discarded: ${reason}`;
  client.__knex__disposed = why;
  // knex's own listener marks an ended connection "ended unexpectedly"; this one runs after it.
  client.once('end', () => {
    client.__knex__disposed = why;
  });
  client.connection.stream.destroy();
}

async function rollBackOrDiscard(client: PgConnection): Promise<void> {
  await client.query('ROLLBACK').catch(() => {
    discard(client, 'its transaction could not be rolled back');
  });
}

/**
 * Sends `statements` and the COMMIT in one write and waits for all of their answers: one round
 * trip. Each statement is synced on its own (node-postgres' pipeline mode, switched on for
 * these alone: the connection is the transaction's, nothing else is sent on it meanwhile).
 * After a failed statement the server skips nothing but marks the transaction failed, so what
 * follows fails too and the COMMIT rolls back.
 */
async function commitWith(
  client: PgConnection,
  statements: readonly CommitStatement[],
): Promise<void> {
  if (statements.length === 0) {
    const answer = await client.query('COMMIT');
    if (answer.command !== 'COMMIT') throw rolledBackAtCommit();
    return;
  }
  let queries: pg.QueryConfig[];
  try {
    // Every value as node-postgres would send it, before anything is sent: one it cannot
    // convert (a throwing toPostgres, a circular object) fails on the client side, where the
    // server never hears of it and the COMMIT after it would go through.
    queries = statements.map(({ text, values }) => ({
      text,
      values: values.map((value) => prepareValue(value)),
      queryMode: 'extended',
    }));
  } catch (error) {
    await rollBackOrDiscard(client);
    throw error;
  }
  const sent: Promise<pg.QueryResult>[] = [];
  let answers: PromiseSettledResult<pg.QueryResult>[];
  client.pipeline = true;
  try {
    const { stream } = client.connection;
    stream.cork();
    try {
      for (const query of queries) sent.push(client.query(query));
      sent.push(client.query('COMMIT'));
    } catch (error) {
      // Some statements may be on their way without the COMMIT: the connection holds an open
      // transaction, and closing it rolls that back.
      discard(client, 'sending what goes with its COMMIT failed');
      throw error;
    } finally {
      stream.uncork();
    }
  } finally {
    // Out of pipeline mode only once every answer is in: the client reads them in that mode.
    answers = await Promise.allSettled(sent);
    client.pipeline = false;
  }
  // The COMMIT's answer is the last one.
  const committed = answers.at(-1);
  const failed = answers.findIndex((answer) => answer.status === 'rejected');
  if (failed !== -1) {
    if (committed?.status === 'fulfilled' && committed.value.command === 'COMMIT') {
      // Only a failure the server never saw can get here; the values checked above make that
      // impossible, and if it ever happens it must not pass for an ordinary failure.
      throw new Error('tenant transaction: committed without a statement given for its COMMIT');
    }
    const reason: unknown = (answers[failed] as PromiseRejectedResult).reason;
    throw statements[failed]?.failure?.(reason) ?? reason;
  }
  // Whatever else made the server answer ROLLBACK, it is never taken for a commit.
  if (committed?.status !== 'fulfilled' || committed.value.command !== 'COMMIT') {
    throw rolledBackAtCommit();
  }
}

/** Postgres answered a COMMIT with ROLLBACK: a statement had failed (and was swallowed). */
const rolledBackAtCommit = (): Error =>
  new Error('transaction: it had failed before its COMMIT and was rolled back');

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
 * the setting): the setting and `opening` travel in the message of its BEGIN, one round trip,
 * and the writes given to `sendWithCommit` travel with its COMMIT. `db` must be a knex instance made by `createKnex`, not a transaction (whose nested one would
 * be a savepoint, where the tenant cannot be set this way).
 */
export function tenantTransaction<T>(
  db: Knex,
  tenantId: string,
  work: (trx: Knex.Transaction, sendWithCommit: SendWithCommit) => Promise<T>,
  opening?: OpeningStatement,
): Promise<T> {
  if (!isUuid(tenantId)) throw new Error('tenant transaction: the tenant id must be a UUID');
  if (!(db.client instanceof TenantScopedPgClient) || db.isTransaction === true) {
    throw new Error('tenant transaction: needs a knex instance from createKnex');
  }
  const options: TenantTransactionOptions = { tenantId, opening, atCommit: new CommitCarriage() };
  return db.transaction((trx) => work(trx, options.atCommit.carry), {
    [OPTIONS]: options,
  } as Knex.TransactionConfig);
}
