// knex is CommonJS without an exports map: only its default export is visible to ESM.
import knexFactory, { type Knex } from 'knex';
import { TenantScopedPgClient } from './tenant-transactions.js';

export interface KnexOptions {
  /** Largest number of pooled connections. */
  readonly poolMax?: number;
  /** Shown in pg_stat_activity. */
  readonly applicationName?: string;
}

/**
 * A knex instance on node-postgres for one connection URL, whose transactions can open in a
 * tenant (`tenantTransaction`). Call `destroy()` to close it.
 */
export function createKnex(
  url: string,
  { poolMax = 10, applicationName = 'wemaster-core' }: KnexOptions = {},
): Knex {
  return knexFactory({
    client: TenantScopedPgClient,
    connection: { connectionString: url, application_name: applicationName },
    pool: { min: 0, max: poolMax },
  });
}
