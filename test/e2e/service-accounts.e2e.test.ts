import { status } from '@grpc/grpc-js';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';

const PASSWORD = 'a sturdy passphrase 2025';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IdentityService service accounts and signing keys end to end', () => {
  let t: TestCore;
  let platformAdmin: string;
  let acmeId: string;
  let otherId: string;
  let owner: string;
  let admin: string;

  const createAccount = (token: string, name: string, roles: string[], extra = {}) =>
    call(
      t.identity,
      'createServiceAccount',
      { name, description: `${name} service`, roles },
      bearer(token, { ...freshKey(), ...extra }),
    );

  const issue = (clientId: string, clientSecret: string) =>
    call(t.identity, 'issueServiceToken', { clientId, clientSecret });

  const tokenOf = async (clientId: string, clientSecret: string): Promise<string> =>
    (await issue(clientId, clientSecret)).accessToken;

  const jwks = async (): Promise<JSONWebKeySet> =>
    (await (await fetch(`${t.httpUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;

  beforeAll(async () => {
    t = await startTestCore({
      SERVICE_ACCOUNT_SECRET_OVERLAP_SECONDS: '1',
      SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1',
    });
    platformAdmin = await t.adminToken();
    const createTenant = async (slug: string): Promise<string> =>
      (
        await call(
          t.tenancy,
          'createTenant',
          { slug, displayName: slug, plan: '', selfSignUpEnabled: false },
          bearer(platformAdmin, freshKey()),
        )
      ).tenant!.id;
    acmeId = await createTenant('acme-sa');
    otherId = await createTenant('other-sa');
    const appUrl = t.env.DATABASE_URL!;
    await seedUser(appUrl, acmeId, { email: 'owner@acme.test', password: PASSWORD, role: 'owner' });
    await seedUser(appUrl, acmeId, { email: 'admin@acme.test', password: PASSWORD, role: 'admin' });
    owner = await t.login('acme-sa', 'owner@acme.test', PASSWORD);
    admin = await t.login('acme-sa', 'admin@acme.test', PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  it('lives a full life: create, token, allowed and denied calls, rotation with overlap, delete', async () => {
    const created = await createAccount(owner, 'reporting', ['admin']);
    expect(created.clientSecret).toMatch(/^sas_[A-Za-z0-9_-]{43}$/);
    expect(created.clientId).toBe(created.serviceAccount!.clientId);
    expect(created.serviceAccount).toMatchObject({
      tenantId: acmeId,
      name: 'reporting',
      roles: ['admin'],
    });
    const accountId = created.serviceAccount!.id;

    const issued = await issue(created.clientId, created.clientSecret);
    expect(issued.tokenType).toBe('Bearer');
    expect(issued.accessTokenExpireTime!.getTime()).toBeGreaterThan(Date.now());
    const { users } = await call(
      t.identity,
      'listUsers',
      { page: undefined },
      bearer(issued.accessToken),
    );
    expect(users.map((u) => u.email).sort()).toEqual(['admin@acme.test', 'owner@acme.test']);

    // A member-role account may not list users.
    const weak = await createAccount(owner, 'reader', ['member']);
    const weakToken = await tokenOf(weak.clientId, weak.clientSecret);
    const denied = await failureOf(
      call(t.identity, 'listUsers', { page: undefined }, bearer(weakToken)),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);

    // Listed, without secrets.
    const listed = await call(
      t.identity,
      'listServiceAccounts',
      { page: { pageSize: 1, pageToken: '' } },
      bearer(issued.accessToken),
    );
    expect(listed.serviceAccounts.map((a) => a.id)).toEqual([accountId]);
    expect(listed.page?.nextPageToken).not.toBe('');
    expect(JSON.stringify(listed)).not.toContain(created.clientSecret);

    // Rotation: the old secret works during the overlap, not after.
    const rotated = await call(
      t.identity,
      'rotateServiceAccountSecret',
      { id: accountId },
      bearer(owner, freshKey()),
    );
    expect(rotated.clientSecret).not.toBe(created.clientSecret);
    expect(rotated.previousSecretExpireTime!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    await expect(tokenOf(created.clientId, created.clientSecret)).resolves.toBeTruthy();
    await expect(tokenOf(created.clientId, rotated.clientSecret)).resolves.toBeTruthy();
    await sleep(1_100);
    const expired = await failureOf(issue(created.clientId, created.clientSecret));
    expect([expired.code, expired.reason]).toEqual([status.UNAUTHENTICATED, 'INVALID_CLIENT']);
    await expect(tokenOf(created.clientId, rotated.clientSecret)).resolves.toBeTruthy();

    // Delete: the same failure as for a client that never existed.
    await call(t.identity, 'deleteServiceAccount', { id: accountId }, bearer(owner, freshKey()));
    const deleted = await failureOf(issue(created.clientId, rotated.clientSecret));
    const unknown = await failureOf(issue(`sa_${'0'.repeat(32)}_${'x'.repeat(22)}`, 'sas_nope'));
    const garbage = await failureOf(issue('not-a-client', 'whatever'));
    for (const failure of [deleted, unknown, garbage]) {
      expect([failure.code, failure.reason, failure.message]).toEqual([
        status.UNAUTHENTICATED,
        'INVALID_CLIENT',
        deleted.message,
      ]);
    }
    const after = await call(t.identity, 'listServiceAccounts', { page: undefined }, bearer(owner));
    expect(after.serviceAccounts.map((a) => a.name)).toEqual(['reader']);
  });

  it('refuses granting more than the caller holds, and bad input', async () => {
    const escalation = await failureOf(createAccount(admin, 'root', ['owner']));
    expect([escalation.code, escalation.reason]).toEqual([
      status.PERMISSION_DENIED,
      'PERMISSION_DENIED',
    ]);
    await expect(createAccount(admin, 'helper', ['admin'])).resolves.toBeTruthy();
    const unknownRole = await failureOf(createAccount(owner, 'x', ['superuser']));
    expect(unknownRole.code).toBe(status.INVALID_ARGUMENT);
    const longName = await failureOf(createAccount(owner, 'n'.repeat(101), ['member']));
    expect(longName.fieldViolations).toEqual(['name']);
    await createAccount(owner, 'twin', ['member']);
    const twin = await failureOf(createAccount(owner, 'twin', ['member']));
    expect(twin.code).toBe(status.ALREADY_EXISTS);
    // The same name in another tenant is fine.
    await expect(
      createAccount(platformAdmin, 'twin', ['member'], { 'x-tenant-id': otherId }),
    ).resolves.toBeTruthy();
  });

  it('keeps a tenant service account in its tenant, and lets a platform one act across tenants', async () => {
    const tenantAccount = await createAccount(owner, 'tenant-bot', ['owner']);
    const tenantToken = await tokenOf(tenantAccount.clientId, tenantAccount.clientSecret);
    const crossing = await failureOf(
      call(
        t.identity,
        'listUsers',
        { page: undefined },
        bearer(tenantToken, { 'x-tenant-id': otherId }),
      ),
    );
    expect([crossing.code, crossing.reason]).toEqual([
      status.PERMISSION_DENIED,
      'CROSS_TENANT_FORBIDDEN',
    ]);

    const platformAccount = await createAccount(platformAdmin, 'platform-bot', ['admin']);
    expect(platformAccount.serviceAccount?.tenantId).toBe(PLATFORM_TENANT_ID);
    const platformToken = await tokenOf(platformAccount.clientId, platformAccount.clientSecret);
    const { users } = await call(
      t.identity,
      'listUsers',
      { page: undefined },
      bearer(platformToken, { 'x-tenant-id': acmeId }),
    );
    expect(users.map((u) => u.email).sort()).toEqual(['admin@acme.test', 'owner@acme.test']);
    const { tenant } = await call(
      t.tenancy,
      'getTenant',
      { lookup: { $case: 'id', value: otherId } },
      bearer(platformToken),
    );
    expect(tenant?.id).toBe(otherId);
  });

  it('rotates the signing key: both published, old tokens verify, new tokens use the new kid once active', async () => {
    const account = await createAccount(owner, 'key-watcher', ['admin']);
    const oldToken = await tokenOf(account.clientId, account.clientSecret);
    const oldKid = decodeProtectedHeader(oldToken).kid;

    const denied = await failureOf(
      call(t.identity, 'rotateSigningKey', {}, bearer(owner, freshKey())),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    const { kid } = await call(
      t.identity,
      'rotateSigningKey',
      {},
      bearer(platformAdmin, freshKey()),
    );
    expect(kid).not.toBe(oldKid);

    const published = await jwks();
    expect(published.keys.map((k) => k.kid).sort()).toEqual([kid, oldKid].sort());
    // Not yet active: still the old key.
    const during = await tokenOf(account.clientId, account.clientSecret);
    expect(decodeProtectedHeader(during).kid).toBe(oldKid);

    await sleep(1_100);
    const fresh = await tokenOf(account.clientId, account.clientSecret);
    expect(decodeProtectedHeader(fresh).kid).toBe(kid);
    const keySet = createLocalJWKSet(await jwks());
    for (const token of [oldToken, during, fresh]) {
      await expect(jwtVerify(token, keySet)).resolves.toBeTruthy();
      await expect(
        call(t.identity, 'listUsers', { page: undefined }, bearer(token)),
      ).resolves.toBeTruthy();
    }
  });
});
