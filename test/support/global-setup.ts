import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createClient } from 'redis';
import type { TestProject } from 'vitest/node';

import { ensureAppRole } from '../../src/adapters/outbound/postgres/app-role.js';
import { startEmbeddedPostgres } from '../../src/adapters/outbound/postgres/embedded-postgres.js';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { credentialsOf } from '../../src/adapters/outbound/postgres/migrate.js';
import type { PostgresAppRole } from './provided-context.js';

/** Test-only role on a test server; a fixed password keeps parallel runs from clobbering it. */
const TEST_APP_ROLE: PostgresAppRole = {
  name: 'wemaster_test_app',
  password: 'wemaster-test-app-only',
};

/**
 * Once per run. PostgreSQL: `DATABASE_URL` (a superuser URL; files create their own databases
 * on that server), else one embedded cluster in a temporary folder, removed afterwards.
 * Redis: `REDIS_URL` or redis://127.0.0.1:6379; unreachable fails the run when
 * `REQUIRE_SERVICES` is set, and otherwise makes Redis suites skip.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardowns: (() => Promise<void>)[] = [];

  const givenUrl = process.env.DATABASE_URL;
  let adminUrl: string;
  let appRole: PostgresAppRole;
  if (givenUrl !== undefined && givenUrl !== '') {
    adminUrl = givenUrl;
    appRole = TEST_APP_ROLE;
  } else {
    const folder = await mkdtemp(join(tmpdir(), 'wemaster-test-pg-'));
    // As root the server runs as the OS user postgres, which must traverse this folder.
    if (process.getuid?.() === 0) await chmod(folder, 0o711);
    const embedded = await startEmbeddedPostgres({
      dataDir: join(folder, 'data'),
      ephemeral: true,
    });
    teardowns.push(async () => {
      await embedded.stop();
      await rm(folder, { recursive: true, force: true });
    });
    adminUrl = embedded.ownerUrl;
    const { user, password } = credentialsOf(embedded.appUrl);
    appRole = { name: user ?? TEST_APP_ROLE.name, password: password ?? TEST_APP_ROLE.password };
  }
  // Create the (cluster-wide) role once, so per-database set-up finds it in place.
  const admin = createKnex(adminUrl, { poolMax: 1 });
  try {
    await ensureAppRole(admin, { roleName: appRole.name, password: appRole.password });
  } finally {
    await admin.destroy();
  }
  project.provide('postgresAdminUrl', adminUrl);
  project.provide('postgresAppRole', appRole);

  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisAvailable = await redisReachable(redisUrl);
  if (!redisAvailable) {
    if (process.env.REQUIRE_SERVICES !== undefined && process.env.REQUIRE_SERVICES !== '') {
      for (const teardown of teardowns) await teardown();
      throw new Error(`REQUIRE_SERVICES is set but Redis at ${redisUrl} is not reachable`);
    }
    process.stderr.write(
      `\n!!! Redis at ${redisUrl} is NOT reachable: Redis suites are SKIPPED !!!\n\n`,
    );
  }
  project.provide('redisUrl', redisUrl);
  project.provide('redisAvailable', redisAvailable);

  return async () => {
    for (const teardown of teardowns.reverse()) await teardown();
  };
}

async function redisReachable(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 1500, reconnectStrategy: false } });
  client.on('error', () => {
    // reported through connect() below
  });
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (_error) {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}
