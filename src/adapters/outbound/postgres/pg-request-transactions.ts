import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import type { RequestTransactions } from '../../../domain/shared/request-transactions.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { TENANT_SETTING } from './pg-schema.js';

/** The transaction a request runs in, for the adapters that join it. */
export interface AmbientTransaction {
  readonly trx: Knex.Transaction;
  /** The request's tenant: the setting every joined piece of work must leave behind. */
  readonly tenantId: string;
  /** Runs one piece of work at a time on the shared connection (tenant switches included). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

export const ambientTransaction = new AsyncLocalStorage<AmbientTransaction>();

export const setTenant = async (trx: Knex.Transaction, tenantId: string): Promise<void> => {
  await trx.raw('select set_config(?, ?, true)', [TENANT_SETTING, tenantId]);
};

/** Which serializer's exclusive section the current async flow is inside, if any. */
const holding = new AsyncLocalStorage<object>();

/**
 * One piece of work at a time; work started from inside a running piece (a nested unit of
 * work) runs at once instead of waiting for itself. One AsyncLocalStorage for all of them:
 * every live instance costs every async operation of the process a little, so none may be
 * made per request.
 */
function serialized(): <T>(work: () => Promise<T>) => Promise<T> {
  const token = {};
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    if (holding.getStore() === token) return work();
    const held = (): Promise<T> => holding.run(token, work);
    const run = tail.then(held, held);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * One Postgres transaction per request: `PgUnitOfWork` and the idempotency ledger find it in
 * `ambientTransaction` and join it instead of opening their own.
 */
export class PgRequestTransactions implements RequestTransactions {
  constructor(private readonly db: Knex) {}

  run<T>(
    tenantId: string,
    work: () => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
  ): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('request transaction: the tenant id must be a UUID');
    return this.db.transaction(async (trx) => {
      await setTenant(trx, tenantId);
      const ambient: AmbientTransaction = { trx, tenantId, exclusive: serialized() };
      return ambientTransaction.run(ambient, async () => {
        const result = await work();
        await ambient.exclusive(() => beforeCommit(result));
        return result;
      });
    });
  }
}

/**
 * The way every Postgres unit of work reaches tenant data: its own transaction with the tenant
 * set transaction-locally or, inside a request transaction, a savepoint of it (so a failure
 * there can be caught without dooming the request), the request's tenant restored afterwards
 * (a rolled-back savepoint restores it by itself).
 */
export function inTenantTransaction<T>(
  db: Knex,
  tenantId: string,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  if (!isUuid(tenantId)) throw new Error('inTenant: the tenant id must be a UUID');
  const ambient = ambientTransaction.getStore();
  if (ambient === undefined) {
    return db.transaction(async (trx) => {
      await setTenant(trx, tenantId);
      return work(trx);
    });
  }
  return ambient.exclusive(() =>
    ambient.trx.transaction(async (savepoint) => {
      if (tenantId !== ambient.tenantId) await setTenant(savepoint, tenantId);
      const result = await work(savepoint);
      if (tenantId !== ambient.tenantId) await setTenant(savepoint, ambient.tenantId);
      return result;
    }),
  );
}
