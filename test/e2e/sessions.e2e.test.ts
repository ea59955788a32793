import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import type { TokenPair } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey, metadataOf } from '../support/grpc.js';
import '../support/provided-context.js';
import { seedUser } from '../support/seed.js';
import { eventually } from '../support/eventually.js';

const PASSWORD = 'session member password';
const GRACE_SECONDS = 1;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('sessions and rotating refresh tokens', () => {
  let a: TestCore;
  let b: TestCore;
  let platformAdmin: string;
  let tenantId: string;
  let n = 0;

  const login = async (email: string): Promise<TokenPair> => {
    const { result } = await call(
      a.identity,
      'login',
      { tenantSlug: 'sessions', email, password: PASSWORD },
      metadataOf({ 'user-agent': 'sessions-e2e/1.0' }),
    );
    if (result?.$case !== 'tokens') throw new Error('expected tokens');
    return result.value;
  };
  const refresh = async (refreshToken: string, on: TestCore = a): Promise<TokenPair> => {
    const { tokens } = await call(on.identity, 'refreshSession', { refreshToken });
    return tokens!;
  };
  const me = (token: string, on: TestCore = a) =>
    call(on.identity, 'getCurrentUser', {}, bearer(token));
  const newMember = async (): Promise<{ email: string; id: string }> => {
    const email = `m${String(++n)}@sessions.test`;
    const id = await seedUser(a.database.appUrl, tenantId, {
      email,
      password: PASSWORD,
      role: 'member',
    });
    return { email, id };
  };

  beforeAll(async () => {
    a = await startTestCore({ REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS) });
    b = await startTestCore(
      { REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS) },
      { replicaOf: a },
    );
    platformAdmin = await a.adminToken();
    const { tenant } = await call(
      a.tenancy,
      'createTenant',
      { slug: 'sessions', displayName: 'Sessions', plan: '', selfSignUpEnabled: false },
      bearer(platformAdmin, freshKey()),
    );
    tenantId = tenant!.id;
    await seedUser(a.database.appUrl, tenantId, {
      email: 'admin@sessions.test',
      password: PASSWORD,
      role: 'admin',
    });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('login returns a refresh token; refreshing rotates it and keeps the session', async () => {
    const first = await login('admin@sessions.test');
    expect(first.refreshToken).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(first.refreshTokenExpireTime!.getTime()).toBeGreaterThan(Date.now());
    const second = await refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await me(second.accessToken)).user?.email).toBe('admin@sessions.test');
    const { sessions } = await call(
      a.identity,
      'listSessions',
      { userId: '', page: undefined },
      bearer(second.accessToken),
    );
    const current = sessions.find((s) => s.current);
    // grpc-js sends its own user agent, the application's one first when it sets one.
    expect(current?.userAgent).toContain('grpc-node-js');
    expect(current?.ip).toBe('127.0.0.1');
  });

  it('reuse of a rotated token outside the grace window revokes the whole session and is audited', async () => {
    const { email } = await newMember();
    const first = await login(email);
    const second = await refresh(first.refreshToken);
    await sleep(GRACE_SECONDS * 1000 + 300);
    const reused = await failureOf(refresh(first.refreshToken));
    expect(reused.code).toBe(status.UNAUTHENTICATED);
    expect(reused.reason).toBe('INVALID_REFRESH_TOKEN');
    // The current token and the session's access tokens die with it.
    expect((await failureOf(refresh(second.refreshToken))).code).toBe(status.UNAUTHENTICATED);
    expect((await failureOf(me(second.accessToken))).code).toBe(status.UNAUTHENTICATED);
    expect((await failureOf(me(first.accessToken))).code).toBe(status.UNAUTHENTICATED);
    const events = await new PgAuditLog(a.database.appKnex).list(tenantId, 100);
    expect(events.some((e) => e.action === 'auth.refresh.reused')).toBe(true);
  });

  it('two parallel refreshes inside the grace window both succeed with the same refresh token', async () => {
    const { email } = await newMember();
    const first = await login(email);
    const [x, y] = await Promise.all([refresh(first.refreshToken), refresh(first.refreshToken)]);
    expect(x.refreshToken).toBe(y.refreshToken);
    expect((await me(x.accessToken)).user?.email).toBe(email);
    expect((await me(y.accessToken)).user?.email).toBe(email);
    // The shared successor still works (once).
    const next = await refresh(x.refreshToken);
    expect((await me(next.accessToken)).user?.email).toBe(email);
  });

  it('logout ends the session: its access token is refused on the next call', async () => {
    const { email } = await newMember();
    const pair = await login(email);
    await me(pair.accessToken);
    await call(a.identity, 'logout', {}, bearer(pair.accessToken));
    expect((await failureOf(me(pair.accessToken))).code).toBe(status.UNAUTHENTICATED);
    expect((await failureOf(refresh(pair.refreshToken))).code).toBe(status.UNAUTHENTICATED);
  });

  it("an admin revokes another user's session; members cannot see or end others'", async () => {
    const member = await newMember();
    const memberPair = await login(member.email);
    const admin = await login('admin@sessions.test');
    const { sessions } = await call(
      a.identity,
      'listSessions',
      { userId: member.id, page: undefined },
      bearer(admin.accessToken),
    );
    expect(sessions).toHaveLength(1);
    const other = await newMember();
    const otherPair = await login(other.email);
    const hidden = await failureOf(
      call(
        a.identity,
        'listSessions',
        { userId: member.id, page: undefined },
        bearer(otherPair.accessToken),
      ),
    );
    expect(hidden.code).toBe(status.PERMISSION_DENIED);
    const denied = await failureOf(
      call(
        a.identity,
        'revokeSession',
        { sessionId: sessions[0]!.id },
        bearer(otherPair.accessToken),
      ),
    );
    expect(denied.code).toBe(status.NOT_FOUND);
    await call(
      a.identity,
      'revokeSession',
      { sessionId: sessions[0]!.id },
      bearer(admin.accessToken),
    );
    expect((await failureOf(me(memberPair.accessToken))).code).toBe(status.UNAUTHENTICATED);
    const events = await new PgAuditLog(a.database.appKnex).list(tenantId, 200);
    expect(events).toContainEqual(
      expect.objectContaining({
        action: 'auth.session.revoked',
        target: { type: 'session', id: sessions[0]!.id },
        details: { userId: member.id, reason: 'revoked' },
      }),
    );
    // From another tenant (the platform's, where the operator acts by default): not found.
    const foreign = await failureOf(
      call(a.identity, 'revokeSession', { sessionId: sessions[0]!.id }, bearer(platformAdmin)),
    );
    expect(foreign.code).toBe(status.NOT_FOUND);
  });

  it('DisableUser ends every session of the user', async () => {
    const member = await newMember();
    const one = await login(member.email);
    const two = await login(member.email);
    const admin = await login('admin@sessions.test');
    await call(a.identity, 'disableUser', { id: member.id }, bearer(admin.accessToken));
    expect((await failureOf(me(one.accessToken))).code).toBe(status.UNAUTHENTICATED);
    expect((await failureOf(me(two.accessToken))).code).toBe(status.UNAUTHENTICATED);
    expect((await failureOf(refresh(two.refreshToken))).code).toBe(status.UNAUTHENTICATED);
  });

  it('a revocation on one replica is seen by the other within a second', async () => {
    const { email } = await newMember();
    const pair = await login(email);
    await me(pair.accessToken, b); // replica B now holds the session as live
    await call(a.identity, 'logout', {}, bearer(pair.accessToken));
    const took = await eventually(1000, async () => {
      expect((await failureOf(me(pair.accessToken, b))).code).toBe(status.UNAUTHENTICATED);
    });
    expect(took).toBeLessThan(1000);
  });

  it('ValidateToken answers active and inactive, and refuses oversized input', async () => {
    const { email } = await newMember();
    const pair = await login(email);
    const validate = (accessToken: string) =>
      call(a.identity, 'validateToken', { accessToken }, bearer(platformAdmin));
    const active = await validate(pair.accessToken);
    expect(active.active).toBe(true);
    expect(active.principal?.tenantId).toBe(tenantId);
    expect(active.principal?.sessionId).not.toBe('');
    expect(active.expireTime).toBeInstanceOf(Date);
    expect((await validate('not-a-token')).active).toBe(false);
    expect((await failureOf(validate('x'.repeat(8 * 1024 + 1)))).code).toBe(
      status.INVALID_ARGUMENT,
    );

    const other = await login(email);
    await call(a.identity, 'logout', {}, bearer(other.accessToken));
    expect((await validate(other.accessToken)).active).toBe(false);

    await call(
      a.tenancy,
      'suspendTenant',
      { id: tenantId, reason: 'sessions test' },
      bearer(platformAdmin),
    );
    try {
      expect((await validate(pair.accessToken)).active).toBe(false);
    } finally {
      await call(a.tenancy, 'reactivateTenant', { id: tenantId }, bearer(platformAdmin));
    }
    expect((await validate(pair.accessToken)).active).toBe(true);
  });
});

describe.skipIf(!inject('redisAvailable'))('session revocations over Redis pub/sub', () => {
  let a: TestCore;
  let b: TestCore;

  beforeAll(async () => {
    a = await startTestCore({ REDIS_URL: inject('redisUrl') });
    b = await startTestCore({ REDIS_URL: inject('redisUrl') }, { replicaOf: a });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a logout on one replica is seen by the other within a second', async () => {
    const { result } = await call(a.identity, 'login', {
      tenantSlug: 'platform',
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
    });
    if (result?.$case !== 'tokens') throw new Error('expected tokens');
    const token = result.value.accessToken;
    await call(b.identity, 'getCurrentUser', {}, bearer(token));
    await call(a.identity, 'logout', {}, bearer(token));
    const took = await eventually(1000, async () => {
      const failure = await failureOf(call(b.identity, 'getCurrentUser', {}, bearer(token)));
      expect(failure.code).toBe(status.UNAUTHENTICATED);
    });
    expect(took).toBeLessThan(1000);
  });
});
