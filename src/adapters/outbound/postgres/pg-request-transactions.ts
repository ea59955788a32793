import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import type {
  OpeningRead,
  RequestTransactions,
} from '../../../domain/shared/request-transactions.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { poolIsIdle } from './pg-pool-idle.js';
import { setTenant, tenantTransaction, type SendWithCommit } from './tenant-transactions.js';

/** The transaction a request runs in, for the adapters that join it. */
export interface AmbientTransaction {
  readonly trx: Knex.Transaction;
  /** The request's tenant: the setting every joined piece of work must leave behind. */
  readonly tenantId: string;
  /** Runs one piece of work at a time on the shared connection (tenant switches included). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * The first failure of a joined piece of work. Joined work runs without a savepoint (two
   * round trips saved per piece), so after a failure the request's writes may be partial or
   * the transaction aborted: the request must not commit, whatever its handler did next.
   */
  failure: { readonly error: unknown } | undefined;
  /**
   * Writes held back until the request's work is done, then run in order right before the
   * commit (e.g. audit events, whose per-tenant chain lock is then held only for the commit).
   */
  readonly atCommit: (() => Promise<void>)[];
  /**
   * Work that must run once the request's transaction has ended, whatever its outcome, before
   * the request answers: writes that must survive it (failed attempts' audit events), reads of
   * what it committed (signing keys). Run with the connection back in the pool: never a second
   * connection taken while the request still holds one.
   */
  readonly afterEnd: (() => Promise<void>)[];
  /** The request's work is over: anything it left running must not join any more. */
  ended: boolean;
  /**
   * A write sent with the request's COMMIT, in the same round trip; its failure rolls the
   * request back and is what `RequestTransactions.run` rejects with.
   */
  readonly sendWithCommit: SendWithCommit;
}

export const ambientTransaction = new AsyncLocalStorage<AmbientTransaction>();

/**
 * The request transaction the current async flow belongs to, while its request still works.
 * A timer or promise the request started but did not wait for may outlive it; that work opens
 * its own transaction instead of joining one that has committed or rolled back, whatever
 * became of the request: once the storages are switched off (see `whileAmbient`) it cannot be
 * told apart from any other work. So use cases await everything that belongs to the request.
 */
export function currentRequestTransaction(): AmbientTransaction | undefined {
  const ambient = ambientTransaction.getStore();
  return ambient === undefined || ambient.ended ? undefined : ambient;
}

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
  private readonly slots: Slots;

  constructor(private readonly db: Knex) {
    this.slots = slotsOf(db);
  }

  /**
   * A free pooled connection nobody waits for, and two free request slots: work opened ahead
   * of need never takes the last slot from work that cannot wait.
   */
  idle(): boolean {
    return this.slots.available > 1 && poolIsIdle(this.db);
  }

  async run<T, F = undefined>(
    tenantId: string,
    work: (opened: F) => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
    opening?: OpeningRead<F>,
  ): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('request transaction: the tenant id must be a UUID');
    // A transaction opened from inside another already holds a slot through it.
    const nested = currentRequestTransaction() !== undefined;
    if (!nested) await this.slots.acquire();
    const afterEnd: (() => Promise<void>)[] = [];
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      const value = await this.transaction(tenantId, work, beforeCommit, afterEnd, opening);
      outcome = { ok: true, value };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      if (!nested) this.slots.release();
    }
    for (const write of afterEnd) {
      try {
        await write();
      } catch (error) {
        // The request's own failure, if any, is the answer; otherwise this one is.
        if (outcome.ok) outcome = { ok: false, error };
      }
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  private transaction<T, F>(
    tenantId: string,
    work: (opened: F) => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
    afterEnd: (() => Promise<void>)[],
    opening: OpeningRead<F> | undefined,
  ): Promise<T> {
    // A read of this adapter's own travels with the BEGIN; any other is the first statement.
    let opened: { value: F } | undefined;
    const openingStatement =
      opening instanceof PgOpeningRead
        ? {
            sql: opening.sql,
            take: (rows: readonly unknown[]) => {
              opened = { value: (opening as PgOpeningRead<F>).parse(rows) };
            },
          }
        : undefined;
    return tenantTransaction(
      this.db,
      tenantId,
      (trx, sendWithCommit) => {
        const ambient: AmbientTransaction = {
          trx,
          tenantId,
          exclusive: serialized(),
          failure: undefined,
          atCommit: [],
          afterEnd,
          ended: false,
          sendWithCommit,
        };
        return whileAmbient(() =>
          ambientTransaction.run(ambient, async () => {
            try {
              const first = opened ?? { value: (await opening?.readInside()) as F };
              const result = await work(first.value);
              if (ambient.failure !== undefined) throw ambient.failure.error;
              for (const write of ambient.atCommit) await write();
              await ambient.exclusive(() => beforeCommit(result));
              return result;
            } finally {
              ambient.ended = true;
            }
          }),
        );
      },
      openingStatement,
    );
  }
}

/**
 * An opening read made by a Postgres adapter: `sql` (literals escaped, no parameters) is sent
 * with the request transaction's BEGIN, and `parse` makes the answer of its rows.
 */
export class PgOpeningRead<F> implements OpeningRead<F> {
  constructor(
    readonly sql: string,
    readonly parse: (rows: readonly unknown[]) => F,
    /** The same read as a statement of its own (for request transactions of another kind). */
    readonly readInside: () => Promise<F>,
  ) {}
}

let ambientRuns = 0;

/**
 * Runs a request transaction's work, and switches the two storages off once none is running.
 * An enabled AsyncLocalStorage makes Node 20 run a hook for every promise and native handle of
 * the whole process (about 5 µs of a cheap call's CPU); switched off, only the requests in a
 * transaction of their own (keyed calls, changes recorded with their audit event) pay for it. Disabling loses nothing: no work of a finished request may still join
 * its transaction, and `run` switches a storage back on by itself.
 */
async function whileAmbient<T>(work: () => Promise<T>): Promise<T> {
  ambientRuns += 1;
  try {
    return await work();
  } finally {
    ambientRuns -= 1;
    if (ambientRuns === 0) {
      ambientTransaction.disable();
      holding.disable();
    }
  }
}

/** A counting semaphore, first come first served. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get available(): number {
    return this.free;
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.free += 1;
    else next();
  }
}

/**
 * Request transactions hold their connection for the whole request (argon2 included, for a
 * keyed ChangePassword): at most half of a pool's connections may be in them at once, so the
 * other half always serves token checks, cache reads, change announcements and the reads of a
 * login. A successful login's short final writes (last login, event, session) take a slot too,
 * after its hashing, so they may queue behind keyed calls; they never hold one while hashing.
 * Shared by every PgRequestTransactions of one pool.
 */
const slotsByPool = new WeakMap<Knex, Slots>();

function slotsOf(db: Knex): Slots {
  let slots = slotsByPool.get(db);
  if (slots === undefined) {
    const config = db.client as { config?: { pool?: { max?: number } } };
    const max = config.config?.pool?.max ?? 10;
    slots = new Slots(Math.max(1, Math.floor(max / 2)));
    slotsByPool.set(db, slots);
  }
  return slots;
}

/**
 * Runs a piece of work on the request's transaction, one at a time, in `tenantId` (the
 * request's tenant is set back afterwards). No savepoint: a failure marks the request as
 * failed instead (see `AmbientTransaction.failure`), and later joiners fail with it at once.
 */
export function joinRequestTransaction<T>(
  ambient: AmbientTransaction,
  tenantId: string,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  return ambient.exclusive(async () => {
    if (ambient.failure !== undefined) throw ambient.failure.error;
    try {
      if (tenantId !== ambient.tenantId) await setTenant(ambient.trx, tenantId);
      const result = await work(ambient.trx);
      if (tenantId !== ambient.tenantId) await setTenant(ambient.trx, ambient.tenantId);
      return result;
    } catch (error) {
      ambient.failure = { error };
      throw error;
    }
  });
}

/**
 * The way every Postgres unit of work reaches tenant data: its own transaction with the tenant
 * set transaction-locally or, inside a request transaction, a share of it (see
 * `joinRequestTransaction`).
 */
export function inTenantTransaction<T>(
  db: Knex,
  tenantId: string,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  if (!isUuid(tenantId)) throw new Error('inTenant: the tenant id must be a UUID');
  const ambient = currentRequestTransaction();
  if (ambient === undefined) return tenantTransaction(db, tenantId, work);
  return joinRequestTransaction(ambient, tenantId, work);
}
