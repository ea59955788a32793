import { describe, expect, it } from 'vitest';

import { Sha256ClientSecrets } from '../../../src/adapters/outbound/crypto/sha256-client-secrets.js';
import { tenantOfClientId } from '../../../src/domain/identity/service-account.js';

const TENANT = '0a000000-0000-4000-8000-00000000000a';

describe('Sha256ClientSecrets', () => {
  const secrets = new Sha256ClientSecrets();

  it('makes distinct 256-bit secrets and client ids that name their tenant', () => {
    const a = secrets.newSecret();
    const b = secrets.newSecret();
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32);
    const clientId = secrets.newClientId(TENANT);
    expect(tenantOfClientId(clientId)).toBe(TENANT);
    expect(secrets.newClientId(TENANT)).not.toBe(clientId);
  });

  it('matches a secret against its digest only', () => {
    const secret = secrets.newSecret();
    const digest = secrets.digest(secret);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).not.toContain(secret);
    expect(secrets.matches(digest, secret)).toBe(true);
    expect(secrets.matches(digest, `${secret}x`)).toBe(false);
    expect(secrets.matches(digest, '')).toBe(false);
    expect(secrets.matches('not hex', secret)).toBe(false);
    expect(secrets.matches('', secret)).toBe(false);
  });
});
