import { TenantStatus } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestCore } from '../support/core.js';
import { bearer, call, failureOf } from '../support/grpc.js';

describe('service lifecycle and logging', () => {
  it('writes one structured line per call, with method, code, tenant and principal, and never a secret', async () => {
    const lines: string[] = [];
    const t = await startTestCore({}, { logLines: lines });
    try {
      const token = await t.adminToken();
      await failureOf(t.login('platform', ADMIN_EMAIL, 'a wrong password here'));
      await call(
        t.tenancy,
        'listTenants',
        { page: undefined, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
        bearer(token),
      );
      const rpcLines = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'rpc');
      expect(rpcLines.map((entry) => [entry.method, entry.code])).toEqual([
        ['IdentityService.Login', 'OK'],
        ['IdentityService.Login', 'UNAUTHENTICATED'],
        ['TenancyService.ListTenants', 'OK'],
      ]);
      const list = rpcLines[2];
      expect(list).toMatchObject({ tenantId: '00000000-0000-4000-8000-000000000001' });
      expect(typeof list?.principal).toBe('string');
      expect(typeof list?.requestId).toBe('string');
      expect(typeof list?.latencyMs).toBe('number');
      const everything = lines.join('\n');
      for (const secret of [
        ADMIN_PASSWORD,
        'a wrong password here',
        token,
        token.split('.')[2] ?? '',
      ]) {
        expect(everything).not.toContain(secret);
      }
    } finally {
      await t.close();
    }
  });

  it('lets an in-flight call finish on shutdown and refuses new ones', async () => {
    // A costly argon2id makes Login take hundreds of milliseconds: in flight when shutdown starts.
    const t = await startTestCore({
      PASSWORD_HASH_MEMORY_KIB: '65536',
      PASSWORD_HASH_ITERATIONS: '8',
    });
    const identity = t.identity;
    const inFlight = call(identity, 'login', {
      tenantSlug: 'platform',
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
    });
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = t.core.stop();
    const { result } = await inFlight;
    expect(result?.$case).toBe('tokens');
    // It really was in flight: it ended well after shutdown began.
    expect(Date.now() - started).toBeGreaterThan(150);
    await stopping;
    const after = await failureOf(call(identity, 'getJwks', {}));
    expect(after.code).toBe(status.UNAVAILABLE);
    identity.close();
    t.tenancy.close();
    await t.database.drop();
  });
});
