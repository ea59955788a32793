import { TENANT_SCOPE } from '../../src/domain/authorization/role.js';
import { randomUUID } from 'node:crypto';
import { Argon2PasswordHasher } from '../../src/adapters/outbound/crypto/argon2-password-hasher.js';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { normalizeEmail } from '../../src/domain/identity/email.js';

/**
 * Adds a user bound to a system role, through the service's own adapters and app role (the
 * RegisterUser RPC arrives with the identity issue).
 */
export async function seedUser(
  appUrl: string,
  tenantId: string,
  { email, password, role }: { email: string; password: string; role: string },
): Promise<string> {
  const knex = createKnex(appUrl, { poolMax: 1 });
  try {
    const hasher = new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const userId = randomUUID();
    const now = new Date();
    await new PgUnitOfWork(knex).inTenant(tenantId, async (scope) => {
      const boundRole = await scope.roles.findRoleByName(role);
      if (boundRole === undefined) throw new Error(`no role ${role}`);
      await scope.users.insert({
        tenantId,
        id: userId,
        email,
        emailNormalized: normalizeEmail(email),
        displayName: email,
        passwordHash: await hasher.hash(password),
        status: 'active',
        createdAt: now,
        lastLoginAt: undefined,
      });
      await scope.roles.insertBinding({
        tenantId,
        id: randomUUID(),
        subjectId: userId,
        subjectKind: 'user',
        roleId: boundRole.id,
        scope: TENANT_SCOPE,
        expiresAt: undefined,
        createdAt: now,
      });
    });
    return userId;
  } finally {
    await knex.destroy();
  }
}
