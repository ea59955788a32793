import type { User } from '../../src/domain/identity/user.js';
import { CREATED_AT, TENANT_A_ID } from './tenant.mother.js';

export const USER_ID = '0c000000-0000-4000-8000-00000000000c';

/** A valid active user of tenant A. */
export function aUser(overrides: Partial<User> = {}): User {
  return {
    tenantId: TENANT_A_ID,
    id: USER_ID,
    email: 'Ada.Lovelace@Example.com',
    emailNormalized: 'ada.lovelace@example.com',
    displayName: 'Ada Lovelace',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
    status: 'active',
    createdAt: CREATED_AT,
    lastLoginAt: undefined,
    ...overrides,
  };
}
