// knex is CommonJS without an exports map: only its default export is visible to ESM.
import knexFactory, { type Knex } from 'knex';
import type { Logger } from 'pino';
import { TenantScopedPgClient } from './tenant-transactions.js';

export interface KnexOptions {
  /** Largest number of pooled connections. */
  readonly poolMax?: number;
  /** Shown in pg_stat_activity. */
  readonly applicationName?: string;
  /**
   * Where knex's own messages go (a connection its pool drops, deprecations). Without one,
   * knex prints them to stdout as plain, coloured text, in the middle of the JSON log.
   */
  readonly logger?: Logger;
}

/** knex's messages as log records of the `knex` component. */
function knexLog(logger: Logger): Knex.Config['log'] {
  const sink = logger.child({ component: 'knex' });
  // knex hands over strings, or an error it caught: logged as its text.
  return {
    debug: (message: unknown) => {
      sink.debug(String(message));
    },
    warn: (message: unknown) => {
      sink.warn(String(message));
    },
    error: (message: unknown) => {
      sink.error(String(message));
    },
    deprecate: (message: unknown) => {
      sink.warn(String(message));
    },
  };
}

/**
 * A knex instance on node-postgres for one connection URL, whose transactions can open in a
 * tenant (`tenantTransaction`). Call `destroy()` to close it.
 */
export function createKnex(
  url: string,
  { poolMax = 10, applicationName = 'wemaster-core', logger }: KnexOptions = {},
): Knex {
  return knexFactory({
    client: TenantScopedPgClient,
    connection: { connectionString: url, application_name: applicationName },
    pool: { min: 0, max: poolMax },
    ...(logger === undefined ? {} : { log: knexLog(logger) }),
  });
}
