import type { Knex } from 'knex';

import type { UserTokenRepository } from '../../../domain/identity/user-token.repository.port.js';
import type { UserToken, UserTokenPurpose } from '../../../domain/identity/user-token.js';
import { SCHEMA } from './pg-schema.js';

const TABLE = `${SCHEMA}.user_tokens`;

interface UserTokenRow {
  tenant_id: string;
  id: string;
  user_id: string;
  purpose: UserTokenPurpose;
  token_hash: Buffer;
  expires_at: Date;
  used_at: Date | null;
  created_at: Date;
}

const toToken = (row: UserTokenRow): UserToken => ({
  tenantId: row.tenant_id,
  id: row.id,
  userId: row.user_id,
  purpose: row.purpose,
  tokenHash: new Uint8Array(row.token_hash),
  expiresAt: row.expires_at,
  usedAt: row.used_at ?? undefined,
  createdAt: row.created_at,
});

/** One-time tokens of the transaction's tenant (row-level security decides which exist). */
export class PgUserTokenRepository implements UserTokenRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async insert(token: UserToken): Promise<void> {
    await this.db<UserTokenRow>(TABLE).insert({
      tenant_id: token.tenantId,
      id: token.id,
      user_id: token.userId,
      purpose: token.purpose,
      token_hash: Buffer.from(token.tokenHash),
      expires_at: token.expiresAt,
      used_at: token.usedAt ?? null,
      created_at: token.createdAt,
    });
  }

  async findByHash(
    tokenHash: Uint8Array,
    purpose: UserTokenPurpose,
  ): Promise<UserToken | undefined> {
    const row = await this.db<UserTokenRow>(TABLE)
      .where({ token_hash: Buffer.from(tokenHash), purpose })
      .first();
    return row === undefined ? undefined : toToken(row);
  }

  async markUsed(id: string, at: Date): Promise<boolean> {
    const updated = await this.db<UserTokenRow>(TABLE)
      .where({ id })
      .whereNull('used_at')
      .update({ used_at: at });
    return updated === 1;
  }

  async supersede(userId: string, purpose: UserTokenPurpose, at: Date): Promise<void> {
    await this.db<UserTokenRow>(TABLE)
      .where({ user_id: userId, purpose })
      .whereNull('used_at')
      .update({ used_at: at });
  }
}
