import { pino } from 'pino';

import { runMigrations } from './migrate.js';

/**
 * `npm run migrate`: DATABASE_URL is the service's (app role) connection, DATABASE_MIGRATION_URL
 * the owner's; without the latter both are DATABASE_URL and the app role is not set up.
 */
const log = pino({ name: 'migrate' });

async function main(): Promise<void> {
  const appUrl = process.env.DATABASE_URL;
  if (appUrl === undefined || appUrl === '') {
    throw new Error('DATABASE_URL is not set');
  }
  const ownerUrl = process.env.DATABASE_MIGRATION_URL ?? appUrl;
  const report = await runMigrations({ ownerUrl, appUrl });
  if (report.appRole === undefined) {
    log.warn(
      'DATABASE_URL and DATABASE_MIGRATION_URL use the same role: the service would connect as the schema owner and its isolation self-check will refuse to start. Set DATABASE_MIGRATION_URL to an owner connection.',
    );
  }
  log.info(
    { applied: report.applied, appRole: report.appRole },
    report.applied.length === 0
      ? 'database already up to date'
      : `applied ${report.applied.length} migration(s)`,
  );
}

main().catch((error: unknown) => {
  log.error({ err: error }, 'migration failed');
  process.exitCode = 1;
});
