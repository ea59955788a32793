import pg from 'pg';

import { ensureAppRole } from './app-role.js';
import { createKnex } from './knex.factory.js';
import { ListMigrationSource } from './migrations/index.js';
import { SCHEMA } from './pg-schema.js';

export interface RunMigrationsOptions {
  /** Connection that owns the schema (runs DDL; needs CREATEROLE to set up the app role). */
  readonly ownerUrl: string;
  /** Connection the service uses; its user name (and password) define the app login role. */
  readonly appUrl: string;
}

export interface MigrationReport {
  /** Migrations applied by this run, in order (empty when already up to date). */
  readonly applied: readonly string[];
  /** The app login role, or undefined when the app URL uses the owner's role (then not set up). */
  readonly appRole: string | undefined;
}

/** User name and password of a connection URL (percent-decoded). */
export function credentialsOf(url: string): {
  user: string | undefined;
  password: string | undefined;
} {
  const parsed = new URL(url);
  const user = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  return { user, password };
}

/**
 * Brings a database up to date: sets up the app login role from `appUrl` (see `ensureAppRole`;
 * skipped when it is the owner's own role, which the start-up self-check then rejects), then
 * applies pending migrations as the owner, under a per-database advisory lock so replicas
 * starting together migrate once. Privileges are granted by the migrations to the group role
 * `wemaster_core_app`, of which the app role is a member.
 */
export async function runMigrations({
  ownerUrl,
  appUrl,
}: RunMigrationsOptions): Promise<MigrationReport> {
  const { user: appUser, password: appPassword } = credentialsOf(appUrl);
  if (appUser === undefined)
    throw new Error('the app database URL must name its user (the app role)');

  const lock = new pg.Client({
    connectionString: ownerUrl,
    application_name: 'wemaster-core-migrate',
  });
  await lock.connect();
  const owner = createKnex(ownerUrl, { poolMax: 2, applicationName: 'wemaster-core-migrate' });
  try {
    await lock.query("select pg_advisory_lock(hashtext('wemaster_core.migrations'))");
    const current = await lock.query<{ name: string }>('select current_user as name');
    const ownerUser = current.rows[0]?.name;
    const sameRole = ownerUser === appUser;
    if (!sameRole) await ensureAppRole(owner, { roleName: appUser, password: appPassword });

    await owner.raw(`create schema if not exists ${SCHEMA}`);
    const [, applied] = (await owner.migrate.latest({
      migrationSource: new ListMigrationSource(),
      schemaName: SCHEMA,
      tableName: 'knex_migrations',
    })) as [number, string[]];
    return { applied, appRole: sameRole ? undefined : appUser };
  } finally {
    await owner.destroy();
    // Closing the session releases the advisory lock.
    await lock.end();
  }
}
