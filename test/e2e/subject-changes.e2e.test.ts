import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';
import { eventually } from '../support/eventually.js';

const PASSWORD = 'subject change password';

describe.each([
  ['LISTEN/NOTIFY', (): Record<string, string> => ({})],
  ['Redis pub/sub', (): Record<string, string> => ({ REDIS_URL: inject('redisUrl') })],
])('subject changes across two replicas (%s)', (_name, env) => {
  let a: TestCore;
  let b: TestCore;
  let owner: string;
  let slug: string;
  let tenantId: string;

  beforeAll(async () => {
    a = await startTestCore(env());
    b = await startTestCore(env(), { replicaOf: a });
    const admin = await a.adminToken();
    slug = `subjects-${Math.random().toString(36).slice(2, 8)}`;
    const { tenant } = await call(
      a.tenancy,
      'createTenant',
      { slug, displayName: 'Subjects', plan: '', selfSignUpEnabled: false },
      bearer(admin, freshKey()),
    );
    tenantId = tenant!.id;
    await seedUser(a.database.appUrl, tenant!.id, {
      email: 'owner@subjects.test',
      password: PASSWORD,
      role: 'owner',
    });
    await seedUser(a.database.appUrl, tenant!.id, {
      email: 'member@subjects.test',
      password: PASSWORD,
      role: 'member',
    });
    owner = await a.login(slug, 'owner@subjects.test', PASSWORD);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a deleted service account token (no session) stops working on every replica within a second', async () => {
    const created = await call(
      a.identity,
      'createServiceAccount',
      { name: 'reporting', description: 'reports', roles: ['admin'] },
      bearer(owner, freshKey()),
    );
    const { accessToken } = await call(b.identity, 'issueServiceToken', {
      clientId: created.clientId,
      clientSecret: created.clientSecret,
    });
    const validate = (on: TestCore) =>
      call(on.identity, 'validateToken', { accessToken }, bearer(owner));
    const listUsers = (on: TestCore) =>
      call(on.identity, 'listUsers', { page: { pageSize: 5, pageToken: '' } }, bearer(accessToken));
    // Both replicas have seen the account alive (and cached it).
    for (const on of [a, b]) {
      expect((await validate(on)).active).toBe(true);
      expect((await listUsers(on)).users.length).toBeGreaterThan(0);
    }

    await call(
      a.identity,
      'deleteServiceAccount',
      { id: created.serviceAccount!.id },
      bearer(owner, freshKey()),
    );
    expect((await validate(a)).active).toBe(false);
    const took = await eventually(1000, async () => {
      expect((await validate(b)).active).toBe(false);
      expect((await failureOf(listUsers(b))).code).toBe(status.UNAUTHENTICATED);
    });
    expect(took).toBeLessThan(1000);
    expect((await failureOf(listUsers(a))).code).toBe(status.UNAUTHENTICATED);
  });

  it('GetCurrentUser is cached per replica and refreshed on every replica within a second', async () => {
    const token = await b.login(slug, 'member@subjects.test', PASSWORD);
    const first = (await call(b.identity, 'getCurrentUser', {}, bearer(token))).user!;
    expect(first.lastLoginTime).toBeInstanceOf(Date);
    // A later login (on the other replica) changes what GetCurrentUser answers on both.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await a.login(slug, 'member@subjects.test', PASSWORD);
    const took = await eventually(1000, async () => {
      const again = (await call(b.identity, 'getCurrentUser', {}, bearer(token))).user!;
      expect(again.lastLoginTime!.getTime()).toBeGreaterThan(first.lastLoginTime!.getTime());
    });
    expect(took).toBeLessThan(1000);
  });

  it('a disabled user is refused on every replica within a second; the mass revocation is audited', async () => {
    const token = await b.login(slug, 'member@subjects.test', PASSWORD);
    await a.login(slug, 'member@subjects.test', PASSWORD);
    const me = (await call(b.identity, 'getCurrentUser', {}, bearer(token))).user!;
    expect(
      (await call(b.identity, 'validateToken', { accessToken: token }, bearer(owner))).active,
    ).toBe(true);
    await call(a.identity, 'disableUser', { id: me.id }, bearer(owner, freshKey()));
    const took = await eventually(1000, async () => {
      expect(
        (await call(b.identity, 'validateToken', { accessToken: token }, bearer(owner))).active,
      ).toBe(false);
      expect((await failureOf(call(b.identity, 'getCurrentUser', {}, bearer(token)))).code).toBe(
        status.UNAUTHENTICATED,
      );
    });
    expect(took).toBeLessThan(1000);
    const seen = await call(b.identity, 'getUser', { id: me.id }, bearer(owner));
    expect(seen.user?.status).not.toBe(me.status);
    const audited = await a.database
      .ownerKnex('core.audit_events')
      .where({ tenant_id: tenantId, action: 'auth.sessions.revoked_all', target_id: me.id });
    // Every live session of the user (two logins here, two in the test before) in one event.
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor_kind: 'user',
      outcome: 'success',
      details: { reason: 'user_disabled' },
    });
    expect((audited[0] as { details: { count: number } }).details.count).toBe(4);
  });
});
