import type { Knex } from 'knex';

/**
 * Resolves once a session of this database waits for a lock (a row or an advisory lock), or
 * after 5 s: a held race is let go when the racer is really blocked, not after a guessed pause.
 */
export async function untilSomeoneWaitsForALock(db: Knex): Promise<void> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
    const { rows } = await db.raw<{ rows: { waiting: number }[] }>(
      `select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if ((rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
