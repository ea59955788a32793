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

/** Serializes rotations across replicas (transaction-scoped advisory lock). */
const ROTATION_LOCK = 'wemaster_core.signing_key_rotation';

const rowOf = (key: SigningKey) => ({
  kid: key.kid,
  algorithm: key.algorithm,
  // knex would send a plain object as is; jsonb wants JSON text.
  public_jwk: JSON.stringify(key.publicJwk),
  sealed_private_jwk: Buffer.from(key.sealedPrivateJwk),
  created_at: key.createdAt,
  retired_at: key.retiredAt ?? null,
  activate_after: key.activatesAt ?? null,
});

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
 * Platform-wide signing keys (not tenant-owned; no tenant context needed). A rotation's writes
 * join the request transaction when there is one, so they commit with its audit event; reads
 * take what is committed, which is what tokens may be signed with.
 */
export class PgSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly db: Knex) {}

  async insert(key: SigningKey): Promise<void> {
    await this.db(TABLE.signingKeys).insert(rowOf(key));
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

  /**
   * Takes the rotation lock first: a rotation waiting for it then inserts and retires after the
   * one holding it has committed, and its update (a statement begun later) retires that one's
   * key too. Without the lock, two concurrent rotations would each leave their key unretired.
   */
  async addSuccessor(key: SigningKey, retireOthersAt: Date): Promise<void> {
    const writes = async (db: Knex): Promise<void> => {
      await db.raw('select pg_advisory_xact_lock(hashtext(?))', [ROTATION_LOCK]);
      await db(TABLE.signingKeys).insert(rowOf(key));
      await db<SigningKeyRow>(TABLE.signingKeys)
        .whereNull('retired_at')
        .whereNot({ kid: key.kid })
        .update({ retired_at: retireOthersAt });
    };
    const ambient = currentRequestTransaction();
    if (ambient === undefined) await this.db.transaction((trx) => writes(trx));
    else await joinRequestTransaction(ambient, ambient.tenantId, writes);
  }

  /** Inside a request transaction: once it has ended (committed or not), before it answers. */
  async afterWrites(action: () => Promise<void>): Promise<void> {
    const ambient = currentRequestTransaction();
    if (ambient === undefined) await action();
    else ambient.afterEnd.push(action);
  }
}
