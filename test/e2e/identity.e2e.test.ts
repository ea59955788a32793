import { status } from '@grpc/grpc-js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { TenantStatus } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, metadataOf } from '../support/grpc.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('IdentityService end to end: Login, GetJwks and token checks', () => {
  let t: TestCore;

  beforeAll(async () => {
    t = await startTestCore();
  });
  afterAll(async () => {
    await t.close();
  });

  const listTenants = (token: string) =>
    call(
      t.tenancy,
      'listTenants',
      { page: undefined, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
      bearer(token),
    );

  it('logs the platform administrator in with an EdDSA access token carrying the right claims', async () => {
    const token = await t.login('platform', ADMIN_EMAIL.toUpperCase(), ADMIN_PASSWORD);
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      tid: '00000000-0000-4000-8000-000000000001',
      roles: ['owner'],
      amr: ['pwd'],
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect((await listTenants(token)).tenants.length).toBeGreaterThan(0);
  });

  it('answers unknown tenant, unknown email and wrong password identically', async () => {
    const attempts = [
      t.login('platform', ADMIN_EMAIL, 'wrong password, long enough'),
      t.login('platform', 'nobody@platform.test', ADMIN_PASSWORD),
      t.login('no-such-tenant', ADMIN_EMAIL, ADMIN_PASSWORD),
    ];
    const errors = await Promise.all(attempts.map((attempt) => failureOf(attempt)));
    for (const error of errors) {
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.reason).toBe('INVALID_CREDENTIALS');
      expect(error.message).toBe('invalid credentials');
    }
  });

  it.each([
    [{ tenantSlug: '', email: ADMIN_EMAIL, password: 'x' }, 'tenant_slug'],
    [{ tenantSlug: 'platform', email: '', password: 'x' }, 'email'],
    [{ tenantSlug: 'platform', email: 'not-an-email', password: 'x' }, 'email'],
    [{ tenantSlug: 'platform', email: `${'a'.repeat(300)}@x.io`, password: 'x' }, 'email'],
    [{ tenantSlug: 'platform', email: ADMIN_EMAIL, password: '' }, 'password'],
    [{ tenantSlug: 'platform', email: ADMIN_EMAIL, password: 'p'.repeat(5000) }, 'password'],
    [{ tenantSlug: 'platform', email: 'nul\u0000@example.com', password: 'x' }, 'email'],
    [{ tenantSlug: 'platform', email: '\u0001@example.com', password: 'x' }, 'email'],
  ])(
    'refuses malformed login input %# with INVALID_ARGUMENT naming the field',
    async (request, field) => {
      const error = await failureOf(call(t.identity, 'login', request));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.fieldViolations).toEqual([field]);
    },
  );

  it('publishes the verifying key in GetJwks and at /.well-known/jwks.json alike', async () => {
    const { keysJson } = await call(t.identity, 'getJwks', {});
    const jwks = JSON.parse(keysJson) as { keys: { kid: string; kty: string; d?: string }[] };
    const token = await t.adminToken();
    expect(jwks.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(token).kid);
    expect(jwks.keys.every((key) => key.kty === 'OKP' && key.d === undefined)).toBe(true);
    const http = await fetch(`${t.httpUrl}/.well-known/jwks.json`);
    expect(http.status).toBe(200);
    expect(JSON.parse(await http.text())).toEqual(jwks);
  });

  it('rejects missing, malformed, unsigned, re-signed, tampered and wrong-audience tokens with UNAUTHENTICATED', async () => {
    const good = await t.adminToken();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = decodeJwt(good);
    const forged = [
      `${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
      `${b64({ alg: 'HS256', typ: 'at+jwt', kid: decodeProtectedHeader(good).kid })}.${payload}.${signature}`,
      `${header}.${b64({ ...claims, roles: ['owner', 'admin'] })}.${signature}`,
      `${header}.${b64({ ...claims, aud: 'someone-else' })}.${signature}`,
      `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: 'unknown-kid' })}.${payload}.${signature}`,
      'not-a-jwt',
      '...',
      'a.b.c',
      'x'.repeat(9000),
    ];
    for (const token of forged) {
      const error = await failureOf(listTenants(token));
      expect(error.code, token.slice(0, 40)).toBe(status.UNAUTHENTICATED);
    }
    const noToken = await failureOf(
      call(t.tenancy, 'listTenants', {
        page: undefined,
        status: TenantStatus.TENANT_STATUS_UNSPECIFIED,
      }),
    );
    expect(noToken.code).toBe(status.UNAUTHENTICATED);
    expect(noToken.reason).toBe('AUTHENTICATION_REQUIRED');
    const basic = await failureOf(
      call(
        t.tenancy,
        'listTenants',
        { page: undefined, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
        metadataOf({ authorization: 'Basic abc' }),
      ),
    );
    expect(basic.code).toBe(status.UNAUTHENTICATED);
    // The scheme is checked up front, the token's own form where it is verified.
    for (const authorization of ['Bearer ', 'Bearer', `Bearer  ${good}`, `Bearer ${good} x`]) {
      const refused = await failureOf(
        call(
          t.tenancy,
          'listTenants',
          { page: undefined, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
          metadataOf({ authorization }),
        ),
      );
      expect(refused.code, authorization.slice(0, 10)).toBe(status.UNAUTHENTICATED);
    }
  });

  it('ignores credentials on public methods, so a stale token never blocks Login', async () => {
    const { result } = await call(
      t.identity,
      'login',
      { tenantSlug: 'platform', email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      bearer('stale.garbage.token'),
    );
    expect(result?.$case).toBe('tokens');
  });
});
