import { createHash } from 'node:crypto';
import type { RefreshTokenRecord, Session } from '../../src/domain/identity/session.js';
import { CREATED_AT, TENANT_A_ID } from './tenant.mother.js';
import { USER_ID } from './user.mother.js';

export const SESSION_ID = '05000000-0000-7000-8000-000000000001';
export const REFRESH_TOKEN_ID = '06000000-0000-7000-8000-000000000001';

const DAY_MS = 86_400_000;

/** A live session of the mother user of tenant A. */
export function aSession(overrides: Partial<Session> = {}): Session {
  return {
    tenantId: TENANT_A_ID,
    id: SESSION_ID,
    userId: USER_ID,
    userAgent: 'grpc-node-js/1.0',
    ip: '192.0.2.7',
    createdAt: CREATED_AT,
    lastUsedAt: CREATED_AT,
    idleExpiresAt: new Date(CREATED_AT.getTime() + 7 * DAY_MS),
    absoluteExpiresAt: new Date(CREATED_AT.getTime() + 30 * DAY_MS),
    revokedAt: undefined,
    revokedReason: undefined,
    ...overrides,
  };
}

export const hashOf = (secret: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(secret).digest());

/** An unused refresh token of the mother session. */
export function aRefreshToken(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    tenantId: TENANT_A_ID,
    id: REFRESH_TOKEN_ID,
    sessionId: SESSION_ID,
    tokenHash: hashOf('first'),
    parentId: undefined,
    createdAt: CREATED_AT,
    usedAt: undefined,
    replacedBy: undefined,
    ...overrides,
  };
}
