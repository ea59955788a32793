import type { Knex } from 'knex';

import type { SigningKeyRepository } from '../../../domain/identity/signing-key.repository.port.js';
import type { SigningKey } from '../../../domain/identity/signing-key.js';
import { currentRequestTransaction, joinRequestTransaction } from './pg-request-transactions.js';
import { TABLE } from './pg-schema.js';

interface SigningKeyRow {
  kid: string;
  algorithm: 'EdDSA';
  public_jwk: Record<string, unknown>;
  sealed_private_jwk: Buffer;
  created_at: Date;
  retired_at: Date | null;
  activate_after: Date | null;
}

const toKey = (row: SigningKeyRow): SigningKey => ({
  kid: row.kid,
  algorithm: row.algorithm,
  publicJwk: row.public_jwk,
  sealedPrivateJwk: new Uint8Array(row.sealed_private_jwk),
  createdAt: row.created_at,
  retiredAt: row.retired_at ?? undefined,
  activatesAt: row.activate_after ?? undefined,
});

/**
 * Platform-wide signing keys (not tenant-owned; no tenant context needed). Writes join the
 * request transaction when there is one, so a rotation commits with its audit event; reads
 * take what is committed, which is what tokens may be signed with.
 */
export class PgSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly db: Knex) {}

  async insert(key: SigningKey): Promise<void> {
    await this.write((db) =>
      db(TABLE.signingKeys).insert({
        kid: key.kid,
        algorithm: key.algorithm,
        // knex would send a plain object as is; jsonb wants JSON text.
        public_jwk: JSON.stringify(key.publicJwk),
        sealed_private_jwk: Buffer.from(key.sealedPrivateJwk),
        created_at: key.createdAt,
        retired_at: key.retiredAt ?? null,
        activate_after: key.activatesAt ?? null,
      }),
    );
  }

  async listPublishable(since: Date): Promise<SigningKey[]> {
    const rows = await this.db<SigningKeyRow>(TABLE.signingKeys)
      .select('*')
      .whereNull('retired_at')
      .orWhere('retired_at', '>', since)
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'kid', order: 'asc' },
      ]);
    return rows.map(toKey);
  }

  /** Retiring an already retired key keeps its first retirement time. */
  async retire(kid: string, at: Date): Promise<void> {
    await this.write((db) =>
      db<SigningKeyRow>(TABLE.signingKeys)
        .where({ kid })
        .whereNull('retired_at')
        .update({ retired_at: at }),
    );
  }

  /** Inside a request transaction: after it has ended (committed or not), before it answers. */
  async afterWrites(action: () => Promise<void>): Promise<void> {
    const ambient = currentRequestTransaction();
    if (ambient === undefined) await action();
    else ambient.afterEnd.push(action);
  }

  private async write(statement: (db: Knex) => Promise<unknown>): Promise<void> {
    const ambient = currentRequestTransaction();
    if (ambient === undefined) await statement(this.db);
    else await joinRequestTransaction(ambient, ambient.tenantId, statement);
  }
}
