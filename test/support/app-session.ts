import type pg from 'pg';

/** The error a statement failed with (pg's `code` included); fails the test if it succeeded. */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the statement to fail');
}

/**
 * Runs `body` in a transaction of the app-role session with the tenant set transaction-locally
 * (none when undefined), then rolls back: SQL exactly as an attacker would write it.
 */
export async function inTenantSession(
  app: pg.Client,
  tenantId: string | undefined,
  body: () => Promise<void>,
): Promise<void> {
  await app.query('begin');
  try {
    if (tenantId !== undefined) {
      await app.query("select set_config('app.tenant_id', $1, true)", [tenantId]);
    }
    await body();
  } finally {
    await app.query('rollback');
  }
}

/** How many rows a query returns, as the session sees them. */
export async function countRows(
  app: pg.Client,
  sql: string,
  values: unknown[] = [],
): Promise<number> {
  const result = await app.query<{ n: string }>(`select count(*) as n from (${sql}) s`, values);
  return Number(result.rows[0]?.n);
}
