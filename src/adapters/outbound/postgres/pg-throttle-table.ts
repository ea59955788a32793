import type { Knex } from 'knex';
import { SCHEMA } from './pg-schema.js';

/**
 * Where rate-limiter-flexible keeps Postgres-backed counters: `core.login_throttle`, created by
 * migration 004 (the app role has no CREATE, hence `tableCreated`). Limiters share it; their
 * key prefixes keep them apart.
 */
export const throttleTable = (knex: Knex) =>
  ({
    storeClient: knex,
    storeType: 'knex',
    schemaName: SCHEMA,
    tableName: 'login_throttle',
    tableCreated: true,
  }) as const;
