import { describe, expect, it } from 'vitest';
import { CachingAccessTokenVerifier } from '../../../src/adapters/outbound/memory/caching-access-token-verifier.js';
import type { AccessTokenVerifier } from '../../../src/domain/identity/access-token.port.js';
import { invalidToken } from '../../../src/domain/identity/identity.errors.js';
import type { Principal } from '../../../src/domain/identity/principal.js';

const principal = (expiresAt: number): Principal => ({
  subjectId: '0190a5e2-0000-7000-8000-000000000001',
  tenantId: '0190a5e2-0000-7000-8000-000000000002',
  kind: 'user',
  roles: ['member'],
  sessionId: undefined,
  expiresAt: new Date(expiresAt),
});

function fixture(maxEntries?: number) {
  let now = 0;
  const calls: string[] = [];
  const inner: AccessTokenVerifier = {
    verify: (token) => {
      calls.push(token);
      return token.startsWith('good')
        ? Promise.resolve(principal(1000))
        : Promise.reject(invalidToken('bad signature'));
    },
  };
  const verifier = new CachingAccessTokenVerifier(inner, { now: () => new Date(now) }, maxEntries);
  return { verifier, calls, setNow: (ms: number) => (now = ms) };
}

describe('CachingAccessTokenVerifier', () => {
  it('verifies a token once and serves it from memory until it expires', async () => {
    const { verifier, calls, setNow } = fixture();
    await verifier.verify('good-1');
    await verifier.verify('good-1');
    expect(calls).toEqual(['good-1']);
    setNow(1000);
    await verifier.verify('good-1');
    expect(calls).toEqual(['good-1', 'good-1']);
  });

  it('never remembers a failure, and any other string is verified in full', async () => {
    const { verifier, calls } = fixture();
    await expect(verifier.verify('bad-1')).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    await expect(verifier.verify('bad-1')).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    await verifier.verify('good-1');
    await verifier.verify('good-2');
    expect(calls).toEqual(['bad-1', 'bad-1', 'good-1', 'good-2']);
  });

  it('serves only the identical token: one sharing its signature segment is verified in full', async () => {
    const { verifier, calls } = fixture();
    await verifier.verify('good.payload-1.signature');
    await verifier.verify('good.payload-1.signature');
    // Same last segment (the lookup key), another payload: a forgery must reach the verifier.
    await expect(verifier.verify('bad.payload-2.signature')).rejects.toMatchObject({
      code: 'INVALID_TOKEN',
    });
    await verifier.verify('good.payload-3.signature');
    await verifier.verify('good.payload-1.signature');
    expect(calls).toEqual([
      'good.payload-1.signature',
      'bad.payload-2.signature',
      'good.payload-3.signature',
      'good.payload-1.signature',
    ]);
  });

  it('stays within its bound, dropping the oldest entry', async () => {
    const { verifier, calls } = fixture(2);
    for (const token of ['good-1', 'good-2', 'good-3', 'good-1']) await verifier.verify(token);
    expect(calls).toEqual(['good-1', 'good-2', 'good-3', 'good-1']);
  });
});
