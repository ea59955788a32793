import type { Knex } from 'knex';

import { userEmailTaken, userNotFound } from '../../../domain/identity/identity.errors.js';
import type {
  PasswordRehash,
  UserRepository,
} from '../../../domain/identity/user.repository.port.js';
import {
  encodeUserCursor,
  parseUserCursor,
  type User,
  type UserStatus,
} from '../../../domain/identity/user.js';
import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import { isUniqueViolation } from './pg-errors.js';
import { TABLE } from './pg-schema.js';

interface UserRow {
  tenant_id: string;
  id: string;
  email: string;
  email_normalized: string;
  display_name: string;
  password_hash: string;
  status: UserStatus;
  created_at: Date;
  last_login_at: Date | null;
  email_verified?: boolean;
  email_verified_at?: Date | null;
}

const toUser = (row: UserRow): User => ({
  tenantId: row.tenant_id,
  id: row.id,
  email: row.email,
  emailNormalized: row.email_normalized,
  displayName: row.display_name,
  passwordHash: row.password_hash,
  status: row.status,
  createdAt: row.created_at,
  lastLoginAt: row.last_login_at ?? undefined,
  ...(row.email_verified_at ? { emailVerifiedAt: row.email_verified_at } : {}),
});

/** Users of the transaction's tenant (row-level security decides which rows exist here). */
export class PgUserRepository implements UserRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async insert(user: User): Promise<void> {
    try {
      await this.db<UserRow>(TABLE.users).insert({
        tenant_id: user.tenantId,
        id: user.id,
        email: user.email,
        email_normalized: user.emailNormalized,
        display_name: user.displayName,
        password_hash: user.passwordHash,
        status: user.status,
        created_at: user.createdAt,
        last_login_at: user.lastLoginAt ?? null,
      });
    } catch (error) {
      // The unique key is (tenant_id, email_normalized): it only ever compares within a tenant.
      if (isUniqueViolation(error, 'users_tenant_email_key')) throw userEmailTaken();
      throw error;
    }
  }

  async findByEmail(emailNormalized: string): Promise<User | undefined> {
    const row = await this.db<UserRow>(TABLE.users)
      .where({ email_normalized: emailNormalized })
      .first();
    return row === undefined ? undefined : toUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db<UserRow>(TABLE.users).where({ id }).first();
    return row === undefined ? undefined : toUser(row);
  }

  // NO KEY UPDATE: serializes the read-modify-writes like FOR UPDATE, but leaves alone the key
  // share lock a foreign key check takes, so rows referring to this one can still be inserted
  // meanwhile (FOR UPDATE deadlocked a password reset with a concurrent reset request).
  async findByIdForUpdate(id: string): Promise<User | undefined> {
    const row = await this.db<UserRow>(TABLE.users).where({ id }).forNoKeyUpdate().first();
    return row === undefined ? undefined : toUser(row);
  }

  async list(query: PageQuery): Promise<Page<User>> {
    const builder = this.db<UserRow>(TABLE.users)
      .select('*')
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(query.limit + 1);
    if (query.after !== undefined) {
      const after = parseUserCursor('after', query.after);
      void builder.whereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', [
        after.createdAt,
        after.id,
      ]);
    }
    const rows = await builder;
    return pageFrom(rows.map(toUser), query.limit, encodeUserCursor);
  }

  async update(user: User): Promise<void> {
    let updated: number;
    try {
      updated = await this.db<UserRow>(TABLE.users)
        .where({ id: user.id })
        .update({
          email: user.email,
          email_normalized: user.emailNormalized,
          display_name: user.displayName,
          password_hash: user.passwordHash,
          status: user.status,
          last_login_at: user.lastLoginAt ?? null,
          email_verified: user.emailVerifiedAt !== undefined,
          email_verified_at: user.emailVerifiedAt ?? null,
        });
    } catch (error) {
      if (isUniqueViolation(error, 'users_tenant_email_key')) throw userEmailTaken();
      throw error;
    }
    // Missing and another tenant's look the same: existence is not revealed.
    if (updated === 0) throw userNotFound();
  }

  async recordLogin(id: string, at: Date, rehash?: PasswordRehash): Promise<void> {
    await this.db<UserRow>(TABLE.users)
      .where({ id })
      .update(
        rehash === undefined
          ? { last_login_at: at }
          : {
              last_login_at: at,
              // Evaluated on the row as it is when updated, after any concurrent change commits.
              password_hash: this.db.raw(
                'case when password_hash = ? then ? else password_hash end',
                [rehash.from, rehash.to],
              ),
            },
      );
  }
}
