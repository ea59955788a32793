import type { Knex } from 'knex';

/** What of knex's connection pool (tarn) tells whether a query would start at once. */
interface IdlePool {
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * Whether a query started now gets a pooled connection at once: one is free and nobody is
 * waiting for one. Work that is only worth doing when it delays nobody (a lookup ahead of
 * need) asks this first; an unknown pool counts as busy.
 */
export function poolIsIdle(db: Knex): boolean {
  const pool = (db.client as { pool?: Partial<IdlePool> }).pool;
  if (typeof pool?.numFree !== 'function' || typeof pool.numPendingAcquires !== 'function') {
    return false;
  }
  return pool.numFree() > 0 && pool.numPendingAcquires() === 0;
}
