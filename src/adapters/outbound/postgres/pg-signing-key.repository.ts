import type { Knex } from 'knex';

import type { SigningKeyRepository } from '../../../domain/identity/signing-key.repository.port.js';
import type { SigningKey } from '../../../domain/identity/signing-key.js';
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

/** Platform-wide signing keys (not tenant-owned; no tenant context needed). */
export class PgSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly db: Knex) {}

  async insert(key: SigningKey): Promise<void> {
    await this.db(TABLE.signingKeys).insert({
      kid: key.kid,
      algorithm: key.algorithm,
      // knex would send a plain object as is; jsonb wants JSON text.
      public_jwk: JSON.stringify(key.publicJwk),
      sealed_private_jwk: Buffer.from(key.sealedPrivateJwk),
      created_at: key.createdAt,
      retired_at: key.retiredAt ?? null,
      activate_after: key.activatesAt ?? null,
    });
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
    await this.db<SigningKeyRow>(TABLE.signingKeys)
      .where({ kid })
      .whereNull('retired_at')
      .update({ retired_at: at });
  }
}
