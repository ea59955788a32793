import { systemRolesGrant as rolesGrant } from '../../mothers/role.mother.js';
import { beforeEach, describe, expect, it } from 'vitest';

import { generateMasterKey } from '../../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { HmacRefreshTokenCodec } from '../../../src/adapters/outbound/crypto/hmac-refresh-token-codec.js';
import { RandomIdGenerator } from '../../../src/adapters/outbound/crypto/random-id-generator.js';
import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import { InMemorySessionStore } from '../../../src/adapters/outbound/memory/in-memory-session-store.js';
import { InMemoryTenantDirectory } from '../../../src/adapters/outbound/memory/in-memory-tenant-directory.js';
import { InMemoryUnitOfWork } from '../../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { InProcessSessionRevocations } from '../../../src/adapters/outbound/memory/in-process-session-revocations.js';
import { MemoryDatabase } from '../../../src/adapters/outbound/memory/memory-database.js';
import { SessionManager } from '../../../src/application/identity/sessions.js';
import type { AccessTokenClaims } from '../../../src/domain/identity/access-token.port.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import { aTenant, TENANT_A_ID, TENANT_B_ID } from '../../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../../mothers/user.mother.js';

const DAY = 86_400_000;
const POLICY = {
  idleTimeoutSeconds: 7 * 86_400,
  absoluteLifetimeSeconds: 30 * 86_400,
  reuseGraceSeconds: 10,
};

let now: number;
let store: InMemorySessionStore;
let audit: InMemoryAuditLog;
let revoked: string[];
let issued: AccessTokenClaims[];
let sessions: SessionManager;
let codec: HmacRefreshTokenCodec;

beforeEach(async () => {
  now = Date.parse('2025-03-01T00:00:00Z');
  const database = new MemoryDatabase();
  const uow = new InMemoryUnitOfWork(database);
  await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
  await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
  store = new InMemorySessionStore();
  audit = new InMemoryAuditLog();
  revoked = [];
  issued = [];
  const revocations = new InProcessSessionRevocations();
  revocations.onRevoked((id) => revoked.push(id));
  codec = new HmacRefreshTokenCodec(Buffer.from(generateMasterKey(), 'base64'));
  sessions = new SessionManager(
    store,
    codec,
    uow,
    {
      issue: (claims) => {
        issued.push(claims);
        return Promise.resolve({ token: `at-${String(issued.length)}`, expiresAt: new Date(now) });
      },
    },
    new InMemoryTenantDirectory(database),
    { now: () => new Date(now) },
    new RandomIdGenerator(() => now),
    audit,
    revocations,
    POLICY,
    // The engine's answer, standing in: what the principal's system roles grant.
    {
      holds: (principal, permission) => rolesGrant(principal.tenantId, principal.roles, permission),
    },
  );
});

const start = () => sessions.start(TENANT_A_ID, USER_ID, { ip: '192.0.2.1', userAgent: 'ua' });
const unauthenticated = { code: 'INVALID_REFRESH_TOKEN' };

describe('SessionManager', () => {
  it('rotates: each refresh token works once, the access token names the session', async () => {
    const { sessionId, refresh } = await start();
    expect(refresh.expiresAt.getTime()).toBe(now + 7 * DAY);
    const next = await sessions.refresh(refresh.token);
    expect(next.refresh.token).not.toBe(refresh.token);
    expect(issued.at(-1)).toMatchObject({ subjectId: USER_ID, sessionId, tenantId: TENANT_A_ID });
    const third = await sessions.refresh(next.refresh.token);
    expect(third.refresh.token).not.toBe(next.refresh.token);
  });

  it('answers the same successor within the grace window, and revokes the session after it', async () => {
    const { sessionId, refresh } = await start();
    const first = await sessions.refresh(refresh.token);
    now += 5_000;
    const again = await sessions.refresh(refresh.token);
    expect(again.refresh.token).toBe(first.refresh.token);
    now += 6_000;
    await expect(sessions.refresh(refresh.token)).rejects.toMatchObject(unauthenticated);
    expect(revoked).toEqual([sessionId]);
    await expect(sessions.refresh(first.refresh.token)).rejects.toMatchObject(unauthenticated);
    expect((await audit.list(TENANT_A_ID, 10)).map((e) => e.action)).toEqual([
      'auth.refresh.reused',
    ]);
  });

  it('revokes on reuse of a grandparent even within the window', async () => {
    const { refresh } = await start();
    const second = await sessions.refresh(refresh.token);
    await sessions.refresh(second.refresh.token);
    await expect(sessions.refresh(refresh.token)).rejects.toMatchObject(unauthenticated);
    expect(revoked).toHaveLength(1);
  });

  it('ends an idle session, and any session at its absolute lifetime', async () => {
    const idle = await start();
    now += 7 * DAY + 1;
    await expect(sessions.refresh(idle.refresh.token)).rejects.toMatchObject(unauthenticated);

    let { refresh } = await start();
    const started = now;
    for (let day = 6; now - started < 30 * DAY - 6 * DAY;) {
      now += day * DAY;
      ({ refresh } = await sessions.refresh(refresh.token));
      expect(refresh.expiresAt.getTime()).toBeLessThanOrEqual(started + 30 * DAY);
    }
    now = started + 30 * DAY;
    await expect(sessions.refresh(refresh.token)).rejects.toMatchObject(unauthenticated);
  });

  it('refuses tokens it did not make, and tokens moved to another tenant', async () => {
    const { refresh } = await start();
    await expect(sessions.refresh('garbage')).rejects.toMatchObject(unauthenticated);
    const moved = refresh.token.replace(TENANT_A_ID, TENANT_B_ID);
    await expect(sessions.refresh(moved)).rejects.toMatchObject(unauthenticated);
    expect(codec.parse(refresh.token)?.tenantId).toBe(TENANT_A_ID);
  });

  it('revokes all sessions of a user but one, audits it, and reports liveness', async () => {
    const one = await start();
    const two = await start();
    const cause = {
      actor: { kind: 'user', subjectId: USER_ID },
      reason: 'password_changed',
    } as const;
    expect(await sessions.revokeAllOfUser(TENANT_A_ID, USER_ID, cause, two.sessionId)).toBe(1);
    const events = await audit.list(TENANT_A_ID, 100);
    expect(events.filter((e) => e.action === 'auth.sessions.revoked_all')).toMatchObject([
      {
        tenantId: TENANT_A_ID,
        target: { type: 'user', id: USER_ID },
        details: { count: 1, reason: 'password_changed' },
      },
    ]);
    expect(await sessions.isLive(TENANT_A_ID, one.sessionId)).toBe(false);
    expect(await sessions.isLive(TENANT_A_ID, two.sessionId)).toBe(true);
    expect(await sessions.isLive(TENANT_B_ID, two.sessionId)).toBe(false);
    expect(revoked).toEqual([one.sessionId]);
  });

  it('reports an unreadable store as UNAVAILABLE, never as an ended session', async () => {
    const { sessionId } = await start();
    store.inTenant = () => Promise.reject(new Error('connection refused'));
    await expect(sessions.isLive(TENANT_A_ID, sessionId)).rejects.toMatchObject({
      category: 'unavailable',
      code: 'SESSIONS_UNAVAILABLE',
    });
  });
});
