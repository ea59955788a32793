import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { AesGcmSecretBox } from '../../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { JoseTokenService } from '../../../src/adapters/outbound/crypto/jose-token-service.js';
import type { AccessTokenClaims } from '../../../src/domain/identity/access-token.port.js';
import type { SigningKey } from '../../../src/domain/identity/signing-key.js';
import type { SigningKeyRepository } from '../../../src/domain/identity/signing-key.repository.port.js';
import type { Clock } from '../../../src/domain/shared/clock.port.js';
import { DomainError } from '../../../src/domain/shared/errors.js';

class FakeSigningKeyRepository implements SigningKeyRepository {
  readonly rows = new Map<string, SigningKey>();
  listCalls = 0;

  /** Set: what follows a rotation's writes waits here (as inside a request transaction). */
  deferred: (() => Promise<void>)[] | undefined;

  afterWrites(action: () => Promise<void>): Promise<void> {
    if (this.deferred === undefined) return action();
    this.deferred.push(action);
    return Promise.resolve();
  }

  async addSuccessor(key: SigningKey, retireOthersAt: Date): Promise<void> {
    await this.insert(key);
    for (const other of [...this.rows.keys()]) {
      if (other !== key.kid) await this.retire(other, retireOthersAt);
    }
  }

  insert(key: SigningKey): Promise<void> {
    if (this.rows.has(key.kid)) return Promise.reject(new Error('duplicate kid'));
    this.rows.set(key.kid, key);
    return Promise.resolve();
  }

  listPublishable(since: Date): Promise<SigningKey[]> {
    this.listCalls += 1;
    return Promise.resolve(
      [...this.rows.values()].filter(
        (k) => k.retiredAt === undefined || k.retiredAt.getTime() > since.getTime(),
      ),
    );
  }

  retire(kid: string, at: Date): Promise<void> {
    const key = this.rows.get(kid);
    if (key?.retiredAt === undefined && key !== undefined)
      this.rows.set(kid, { ...key, retiredAt: at });
    return Promise.resolve();
  }
}

class FakeClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

const ISSUER = 'https://core.wemaster.test';
const AUDIENCE = 'wemaster';
const TTL = 900;

const claims: AccessTokenClaims = {
  subjectId: '0190a6b4-3c5e-7d2f-8a1b-2c3d4e5f6a7b',
  tenantId: '0190a6b4-3c5e-7d2f-8a1b-000000000001',
  kind: 'user',
  roles: ['tenant_admin', 'member'],
  sessionId: '0190a6b4-3c5e-7d2f-8a1b-0000000000aa',
  amr: ['pwd'],
};

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function expectInvalid(promise: Promise<unknown>, reason?: RegExp): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  const domainError = error as DomainError;
  expect(domainError.category).toBe('unauthenticated');
  expect(domainError.code).toBe('INVALID_TOKEN');
  if (reason !== undefined) expect(domainError.message).toMatch(reason);
}

describe('JoseTokenService', () => {
  let repo: FakeSigningKeyRepository;
  let clock: FakeClock;
  let box: AesGcmSecretBox;
  let service: JoseTokenService;

  const make = (
    overrides: { issuer?: string; audience?: string; activationDelaySeconds?: number } = {},
  ): JoseTokenService =>
    new JoseTokenService(
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        accessTokenTtlSeconds: TTL,
        activationDelaySeconds: 0,
        ...overrides,
      },
      { keys: repo, secretBox: box, clock },
    );

  /** The active private key, read back the way an attacker with the master key could. */
  async function activePrivateKey(): Promise<{ kid: string; key: CryptoKey }> {
    const active = [...repo.rows.values()].find((k) => k.retiredAt === undefined)!;
    const jwk = JSON.parse(new TextDecoder().decode(box.open(active.sealedPrivateJwk))) as JWK;
    return { kid: active.kid, key: (await importJWK(jwk, 'EdDSA')) as CryptoKey };
  }

  async function signWithActiveKey(
    payload: JWTPayload,
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const { kid, key } = await activePrivateKey();
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    return new SignJWT({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: claims.subjectId,
      tid: claims.tenantId,
      kind: 'user',
      roles: [],
      iat: nowSeconds,
      exp: nowSeconds + 60,
      jti: 'j',
      ...payload,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt', ...header })
      .sign(key);
  }

  beforeEach(async () => {
    repo = new FakeSigningKeyRepository();
    clock = new FakeClock(Date.UTC(2025, 0, 1));
    box = new AesGcmSecretBox(randomBytes(32), { purpose: 'signing-key' });
    service = make();
    await service.ensureActiveKey();
  });

  it('ensureActiveKey creates one sealed key, once', async () => {
    expect(repo.rows.size).toBe(1);
    await service.ensureActiveKey();
    await make().ensureActiveKey();
    expect(repo.rows.size).toBe(1);
    const key = [...repo.rows.values()][0]!;
    expect(key.algorithm).toBe('EdDSA');
    expect(key.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String) as unknown,
      kid: key.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(Buffer.from(key.sealedPrivateJwk).toString('latin1')).not.toContain('"d"');
  });

  it('issues a token that verifies to the principal', async () => {
    const issued = await service.issue(claims);
    expect(issued.expiresAt).toEqual(new Date(clock.now().getTime() + TTL * 1000));

    const header = decodeProtectedHeader(issued.token);
    expect(header).toEqual({ alg: 'EdDSA', kid: [...repo.rows.keys()][0], typ: 'at+jwt' });
    const payload = decodeJwt(issued.token);
    const iat = clock.now().getTime() / 1000;
    expect(payload).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: claims.subjectId,
      tid: claims.tenantId,
      sid: claims.sessionId,
      kind: 'user',
      roles: ['tenant_admin', 'member'],
      amr: ['pwd'],
      iat,
      exp: iat + TTL,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });

    await expect(service.verify(issued.token)).resolves.toEqual({
      subjectId: claims.subjectId,
      tenantId: claims.tenantId,
      kind: 'user',
      roles: ['tenant_admin', 'member'],
      sessionId: claims.sessionId,
      expiresAt: issued.expiresAt,
    });
    // Another replica with the same repository and master key verifies it too.
    await expect(make().verify(issued.token)).resolves.toMatchObject({
      subjectId: claims.subjectId,
    });
  });

  it('issues service tokens without a session', async () => {
    const issued = await service.issue({
      ...claims,
      kind: 'service',
      sessionId: undefined,
      amr: [],
    });
    expect(decodeJwt(issued.token)).not.toHaveProperty('sid');
    await expect(service.verify(issued.token)).resolves.toMatchObject({
      kind: 'service',
      sessionId: undefined,
    });
  });

  it('honours the configured TTL', async () => {
    const short = new JoseTokenService(
      { issuer: ISSUER, audience: AUDIENCE, accessTokenTtlSeconds: 60 },
      { keys: repo, secretBox: box, clock },
    );
    const issued = await short.issue(claims);
    expect(issued.expiresAt.getTime() - clock.now().getTime()).toBe(60_000);
  });

  it('accepts a token within the clock tolerance and refuses it after', async () => {
    const { token } = await service.issue(claims);
    clock.advanceSeconds(TTL + 4);
    await expect(service.verify(token)).resolves.toBeDefined();
    clock.advanceSeconds(2);
    await expectInvalid(service.verify(token), /expired/);
  });

  it('refuses a wrong audience or issuer', async () => {
    const { token } = await service.issue(claims);
    await expectInvalid(make({ audience: 'someone-else' }).verify(token), /audience/);
    await expectInvalid(make({ issuer: 'https://evil.test' }).verify(token), /issuer/);
    const foreign = await make({ audience: 'someone-else' }).issue(claims);
    await expectInvalid(service.verify(foreign.token), /audience/);
  });

  it('refuses an unsigned alg:none token', async () => {
    const { token } = await service.issue(claims);
    const [header, payload] = token.split('.');
    const { kid } = decodeProtectedHeader(token);
    const none = `${b64url({ alg: 'none', kid, typ: 'at+jwt' })}.${payload!}.`;
    await expectInvalid(service.verify(none), /algorithm/);
    await expectInvalid(service.verify(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload!}.`));
    await expectInvalid(service.verify(`${header!}.${payload!}.`));
  });

  it('refuses HS256 tokens signed with the public key (key confusion)', async () => {
    const key = [...repo.rows.values()][0]!;
    const payload = b64url({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: claims.subjectId,
      tid: claims.tenantId,
      kind: 'user',
      roles: ['platform_admin'],
      iat: Math.floor(clock.now().getTime() / 1000),
      exp: Math.floor(clock.now().getTime() / 1000) + 60,
      jti: 'x',
    });
    const secrets = [
      Buffer.from(key.publicJwk.x as string, 'base64url'),
      Buffer.from(JSON.stringify(key.publicJwk)),
      Buffer.from(key.publicJwk.x as string),
    ];
    for (const alg of ['HS256', 'HS512']) {
      for (const secret of secrets) {
        const header = b64url({ alg, kid: key.kid, typ: 'at+jwt' });
        const signature = createHmac(alg === 'HS256' ? 'sha256' : 'sha512', secret)
          .update(`${header}.${payload}`)
          .digest('base64url');
        await expectInvalid(service.verify(`${header}.${payload}.${signature}`), /algorithm/);
      }
    }
  });

  it('refuses RS256 and ES256 tokens even when correctly signed by another key', async () => {
    for (const alg of ['RS256', 'ES256']) {
      const pair = await generateKeyPair(alg);
      const token = await new SignJWT({ sub: claims.subjectId })
        .setProtectedHeader({ alg, kid: [...repo.rows.keys()][0]!, typ: 'at+jwt' })
        .sign(pair.privateKey);
      await expectInvalid(service.verify(token), /algorithm/);
    }
  });

  it('refuses a tampered payload or signature', async () => {
    const { token } = await service.issue({ ...claims, roles: ['member'] });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claimsObject = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const elevated = b64url({ ...claimsObject, roles: ['platform_admin'] });
    await expectInvalid(service.verify(`${header}.${elevated}.${signature}`), /signature/);
    const otherTenant = b64url({ ...claimsObject, tid: '0190a6b4-3c5e-7d2f-8a1b-000000000002' });
    await expectInvalid(service.verify(`${header}.${otherTenant}.${signature}`), /signature/);
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await expectInvalid(service.verify(`${header}.${payload}.${flipped}`));
    // A header swapped to another typ is also covered by the signature (and checked).
    const otherTyp = b64url({ ...decodeProtectedHeader(token), typ: 'JWT' });
    await expectInvalid(service.verify(`${otherTyp}.${payload}.${signature}`));
  });

  it('refuses a validly signed token from an unknown key, reloading keys at most once per 10 s', async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forge = (kid: string): Promise<string> =>
      new SignJWT({ tid: claims.tenantId, kind: 'user', roles: [] })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(claims.subjectId)
        .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
        .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 60)
        .setJti('j')
        .sign(pair.privateKey);

    const before = repo.listCalls;
    await expectInvalid(service.verify(await forge('unknown-kid-1')), /unknown key/);
    await expectInvalid(service.verify(await forge('unknown-kid-2')), /unknown key/);
    await expectInvalid(service.verify(await forge('unknown-kid-3')), /unknown key/);
    expect(repo.listCalls - before).toBe(1);
    clock.advanceSeconds(11);
    await expectInvalid(service.verify(await forge('unknown-kid-4')), /unknown key/);
    expect(repo.listCalls - before).toBe(2);

    // The right kid but another key's signature.
    await expectInvalid(service.verify(await forge([...repo.rows.keys()][0]!)), /signature/);
  });

  it('picks up keys rotated by another replica through the unknown-kid reload', async () => {
    const other = make();
    await other.ensureActiveKey();
    const { token: old } = await service.issue(claims);
    await other.rotate();
    const { token: fresh } = await other.issue(claims);
    expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(old).kid);
    await expect(service.verify(fresh)).resolves.toBeDefined();
    await expect(service.verify(old)).resolves.toBeDefined();
  });

  it('refuses signed tokens with missing or ill-typed claims', async () => {
    const cases: [string, JWTPayload, Record<string, unknown>?][] = [
      ['bad sub', { sub: 'not-a-uuid' }],
      ['bad sub', { sub: 42 as unknown as string }],
      ['bad tid', { tid: 'tenant' }],
      ['bad tid', { tid: undefined }],
      ['bad kind', { kind: 'admin' }],
      ['bad roles', { roles: 'admin' }],
      ['bad roles', { roles: [1] }],
      ['bad sid', { sid: 7 }],
      ['bad amr', { amr: 'pwd' }],
      ['exp', { exp: undefined }],
      ['jti', { jti: undefined }],
      ['future', { iat: Math.floor(clock.now().getTime() / 1000) + 600 }],
      ['issuer', { iss: undefined }],
      ['audience', { aud: ['other'] }],
      ['type', {}, { typ: 'JWT' }],
      ['type', {}, { typ: undefined }],
      ['not yet valid', { nbf: Math.floor(clock.now().getTime() / 1000) + 600 }],
    ];
    for (const [reason, payload, header] of cases) {
      const token = await signWithActiveKey(payload, header);
      await expectInvalid(service.verify(token), new RegExp(reason.split(' ').pop()!));
    }
    // And the baseline forged with the same helper is accepted.
    await expect(service.verify(await signWithActiveKey({}))).resolves.toBeDefined();
  });

  it('turns garbage of every shape into INVALID_TOKEN and nothing else', async () => {
    const { token } = await service.issue(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const garbage = [
      // Not base64url JWS compact form, though jose's own parsing would let these through.
      `${header}.${payload}.${signature.slice(0, 10)} ${signature.slice(10)}`,
      `${token}==`,
      `${token}\n`,
      '',
      '.',
      '..',
      '...',
      'a.b.c',
      'a.b',
      'a',
      ' ',
      'Bearer x',
      `${token}.`,
      `${token}x`,
      ` ${token}`,
      token.replace(/\./g, ''),
      'x'.repeat(9000),
      `${header}.${'A'.repeat(9000)}.sig`,
      '!!!.@@@.###',
      `${b64url('not json')}.${b64url('not json')}.${b64url('sig')}`,
      `${b64url('[]')}.${payload}.sig`,
      `${b64url('null')}.${payload}.sig`,
      `${b64url('123')}.${payload}.sig`,
      `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: 1 })}.${payload}.sig`,
      `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: '' })}.${payload}.sig`,
      `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: '__proto__' })}.${payload}.sig`,
      `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: 'constructor' })}.${payload}.sig`,
      `${header}.${b64url('not json')}.sig`,
      `${header}.${b64url('[1,2]')}.sig`,
      `${header}..`,
      `${header}.${payload}.`,
      `${header}.${payload}.${'A'.repeat(86)}`,
      '\u0000.\u0000.\u0000',
      'é.ü.ß',
      '\uD800.a.b',
      `${header}.${payload}.${b64url('x')}.extra.parts`,
    ];
    for (const input of garbage) await expectInvalid(service.verify(input));
    await expectInvalid(service.verify(undefined as unknown as string));
    await expectInvalid(service.verify(null as unknown as string));
    await expectInvalid(service.verify(12 as unknown as string));
  });

  it('never lets a token into the error message', async () => {
    const { token } = await service.issue(claims);
    const [header, payload] = token.split('.') as [string, string, string];
    const probes = [token.slice(0, -3), `${header}.${payload}.zzzz`, 'x'.repeat(10_000)];
    for (const probe of probes) {
      const error = (await service.verify(probe).catch((e: unknown) => e)) as DomainError;
      expect(error.message.length).toBeLessThan(80);
      expect(error.message).not.toContain(payload.slice(0, 20));
    }
  });

  it('property: arbitrary strings and dotted segments always fail as INVALID_TOKEN', async () => {
    const segment = fc.oneof(
      fc.string(),
      fc.base64String(),
      fc.string({
        unit: fc.constantFrom(
          ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split(''),
        ),
      }),
      fc.json().map((j) => b64url(j)),
      fc
        .record({
          alg: fc.constantFrom('EdDSA', 'none', 'HS256', 'RS256'),
          kid: fc.string(),
          typ: fc.constantFrom('at+jwt', 'JWT'),
        })
        .map((h) => b64url(h)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.array(segment, { maxLength: 5 }).map((s) => s.join('.')),
        ),
        async (input) => {
          await expectInvalid(service.verify(input));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rotation keeps old tokens verifiable, publishes both keys, then drops the retired one after the TTL', async () => {
    const firstKid = [...repo.rows.keys()][0]!;
    const { token: old } = await service.issue(claims);

    clock.advanceSeconds(60);
    const newKid = await service.rotate();
    expect(newKid).not.toBe(firstKid);
    expect(repo.rows.get(firstKid)!.retiredAt).toEqual(clock.now());
    expect(repo.rows.get(newKid)!.retiredAt).toBeUndefined();

    const { token: fresh } = await service.issue(claims);
    expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
    await expect(service.verify(old)).resolves.toBeDefined();
    await expect(service.verify(fresh)).resolves.toBeDefined();

    const jwks = await service.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, firstKid]);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    }
    expect(JSON.parse(await service.publishedKeys())).toEqual(jwks);

    // Published for TTL + tolerance (5 s) + key cache age (60 s) after retirement.
    clock.advanceSeconds(TTL + 64);
    expect((await service.jwks()).keys.map((k) => k.kid)).toEqual([newKid, firstKid]);
    clock.advanceSeconds(2);
    expect((await service.jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
    await expectInvalid(service.verify(old));
    await expect(service.issue(claims)).resolves.toBeDefined();
  });

  it('takes a rotated-in key up only once the writes have settled (its transaction ended)', async () => {
    const firstKid = decodeProtectedHeader((await service.issue(claims)).token).kid;
    repo.deferred = [];
    const newKid = await service.rotate();
    // Written, but neither published nor signing while its transaction may still roll back.
    expect(repo.rows.has(newKid)).toBe(true);
    expect((await service.jwks()).keys.map((k) => k.kid)).toEqual([firstKid]);
    expect(decodeProtectedHeader((await service.issue(claims)).token).kid).toBe(firstKid);
    for (const settled of repo.deferred) await settled();
    expect((await service.jwks()).keys.map((k) => k.kid).sort()).toEqual([newKid, firstKid].sort());
    expect(decodeProtectedHeader((await service.issue(claims)).token).kid).toBe(newKid);
  });

  it('a rotated-in key is published at once but signs only after the activation delay', async () => {
    service = make({ activationDelaySeconds: 300 });
    const other = make({ activationDelaySeconds: 300 });
    await service.ensureActiveKey();
    await other.ensureActiveKey();
    const firstKid = [...repo.rows.keys()][0]!;

    const newKid = await service.rotate();
    expect(repo.rows.get(newKid)!.activatesAt).toEqual(new Date(clock.now().getTime() + 300_000));
    // The old key signs until the new one activates, then retires at that very instant.
    expect(repo.rows.get(firstKid)!.retiredAt).toEqual(repo.rows.get(newKid)!.activatesAt);
    expect((await service.jwks()).keys.map((k) => k.kid).sort()).toEqual([firstKid, newKid].sort());
    const { token: during } = await service.issue(claims);
    expect(decodeProtectedHeader(during).kid).toBe(firstKid);

    clock.advanceSeconds(299);
    expect(decodeProtectedHeader((await other.issue(claims)).token).kid).toBe(firstKid);
    clock.advanceSeconds(1);
    const { token: fresh } = await service.issue(claims);
    expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
    // Another replica (cache refreshed meanwhile) switches at the same instant.
    expect(decodeProtectedHeader((await other.issue(claims)).token).kid).toBe(newKid);
    await expect(other.verify(during)).resolves.toBeDefined();
    await expect(other.verify(fresh)).resolves.toBeDefined();
  });

  it('rotateIfOlderThan rotates an old key once, not a young one nor while one is pending', async () => {
    service = make({ activationDelaySeconds: 300 });
    await service.ensureActiveKey();
    const day = 86_400_000;
    expect(await service.rotateIfOlderThan(30 * day)).toBeUndefined();
    clock.advanceSeconds(31 * 86_400);
    const kid = await service.rotateIfOlderThan(30 * day);
    expect(kid).toBeDefined();
    expect(await service.rotateIfOlderThan(30 * day)).toBeUndefined();
    expect(repo.rows.size).toBe(2);
    clock.advanceSeconds(300);
    expect((await service.activeKeyInfo())?.kid).toBe(kid);
    expect(await service.rotateIfOlderThan(30 * day)).toBeUndefined();
  });

  it('JWKS keys verify tokens with a plain jose verifier', async () => {
    const { token } = await service.issue(claims);
    const [jwk] = (await service.jwks()).keys;
    const { jwtVerify } = await import('jose');
    const key = await importJWK(jwk!, 'EdDSA');
    const { payload } = await jwtVerify(token, key, {
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: clock.now(),
    });
    expect(payload.sub).toBe(claims.subjectId);
    const exported = await exportJWK(key);
    expect(exported).not.toHaveProperty('d');
  });

  it('fails with INVALID_TOKEN, not a crash, when the key store is down; cached keys keep working', async () => {
    const { token } = await service.issue(claims);
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: 'new-kid', typ: 'at+jwt' })
      .sign(pair.privateKey);
    const list = repo.listPublishable.bind(repo);
    repo.listPublishable = () => Promise.reject(new Error('connection refused'));
    await expectInvalid(service.verify(forged));
    await expect(service.verify(token)).resolves.toBeDefined();

    // A stale cache keeps serving while the store is down, and reloads once it is back.
    clock.advanceSeconds(120);
    const { token: later } = await service.issue(claims);
    await expect(service.verify(later)).resolves.toBeDefined();
    repo.listPublishable = list;
    const before = repo.listCalls;
    clock.advanceSeconds(11);
    await expect(service.verify(later)).resolves.toBeDefined();
    expect(repo.listCalls).toBe(before + 1);
  });
});
