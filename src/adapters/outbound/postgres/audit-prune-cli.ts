import { join } from 'node:path';

import { pino } from 'pino';

import { loadConfig } from '../../../config.js';
import { createKnex } from './knex.factory.js';
import { pruneAuditLog } from './pg-audit-pruner.js';

/**
 * `npm run audit:prune`: exports audit events older than AUDIT_RETENTION_DAYS to a JSON-lines
 * file, then deletes them, as the database owner (DATABASE_MIGRATION_URL, else DATABASE_URL):
 * the service's own role can never delete audit events. AUDIT_EXPORT_DIR (default `.`) is where
 * `audit-export-<time>.jsonl` is written. Unset AUDIT_RETENTION_DAYS: nothing is pruned.
 * Schedule it (cron, a Kubernetes CronJob) and keep the export files as long as required. A
 * tenant whose chain does not verify is skipped (logged) and the others pruned; the run then
 * exits with 1.
 */
const log = pino({ name: 'audit-prune' });

async function main(): Promise<void> {
  const ownerUrl = process.env.DATABASE_MIGRATION_URL ?? process.env.DATABASE_URL;
  if (ownerUrl === undefined || ownerUrl === '') {
    throw new Error('DATABASE_MIGRATION_URL (or DATABASE_URL) is not set');
  }
  // The service's own rule for the variable (and only that variable: the rest is not needed).
  const days = loadConfig({
    AUDIT_RETENTION_DAYS: process.env.AUDIT_RETENTION_DAYS,
  }).AUDIT_RETENTION_DAYS;
  if (days === undefined) {
    log.info('AUDIT_RETENTION_DAYS is unset: audit events are kept forever, nothing pruned');
    return;
  }
  const cutoff = new Date(Date.now() - days * 86_400_000);
  const exportPath = join(
    process.env.AUDIT_EXPORT_DIR ?? '.',
    `audit-export-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`,
  );
  const owner = createKnex(ownerUrl, { poolMax: 2, applicationName: 'wemaster-core-audit-prune' });
  try {
    const pruned = await pruneAuditLog(owner, { cutoff, exportPath });
    for (const tenant of pruned.filter((entry) => entry.exported > 0 || entry.deleted > 0)) {
      log.info(tenant, 'pruned audit events; the chain is now anchored at the last one');
    }
    const skipped = pruned.filter((entry) => entry.problem !== undefined);
    for (const tenant of skipped) {
      log.error(tenant, 'audit prune skipped a tenant: nothing of it was pruned (investigate)');
    }
    log.info(
      { cutoff, exportPath, tenants: pruned.length, skipped: skipped.length },
      'audit prune done',
    );
    // The other tenants were pruned; the run still fails so a scheduler reports it.
    if (skipped.length > 0) process.exitCode = 1;
  } finally {
    await owner.destroy();
  }
}

main().catch((error: unknown) => {
  log.error({ err: error }, 'audit prune failed');
  process.exitCode = 1;
});
