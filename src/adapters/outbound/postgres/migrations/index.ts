import type { Knex } from 'knex';

import * as initialSchema from './001-initial-schema.migration.js';
import * as idempotency from './002-idempotency.migration.js';
import * as auditEvents from './004-audit-events.migration.js';
import * as sessions from './005-sessions.migration.js';
import * as recovery from './006-recovery.migration.js';
import * as serviceAccounts from './007-service-accounts.migration.js';
import * as authorization from './008-authorization.migration.js';
import * as auditChain from './009-audit-chain.migration.js';
import * as outboxMaintenance from './010-outbox-maintenance.migration.js';
import * as auditChainGuard from './011-audit-chain-guard.migration.js';
import * as idempotencyCompletionLookup from './012-idempotency-completion-lookup.migration.js';
import * as idempotencyCompletionInTransaction from './013-idempotency-completion-in-transaction.migration.js';
import * as idempotencyCompletionRecord from './014-idempotency-completion-record.migration.js';

export interface NamedMigration extends Knex.Migration {
  readonly name: string;
}

/** Every migration, in order. Imported, not globbed: works under tsx, vitest and bundlers. */
export const MIGRATIONS: readonly NamedMigration[] = [
  initialSchema,
  idempotency,
  auditEvents,
  sessions,
  recovery,
  serviceAccounts,
  authorization,
  auditChain,
  outboxMaintenance,
  auditChainGuard,
  idempotencyCompletionLookup,
  idempotencyCompletionInTransaction,
  idempotencyCompletionRecord,
];

export class ListMigrationSource implements Knex.MigrationSource<NamedMigration> {
  constructor(private readonly migrations: readonly NamedMigration[] = MIGRATIONS) {}

  getMigrations(): Promise<NamedMigration[]> {
    return Promise.resolve([...this.migrations]);
  }

  getMigrationName(migration: NamedMigration): string {
    return migration.name;
  }

  getMigration(migration: NamedMigration): Promise<Knex.Migration> {
    return Promise.resolve(migration);
  }
}
