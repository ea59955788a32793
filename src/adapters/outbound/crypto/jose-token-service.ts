import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type {
  AccessTokenClaims,
  AccessTokenIssuer,
  AccessTokenVerifier,
  IssuedAccessToken,
} from '../../../domain/identity/access-token.port.js';
import { invalidToken } from '../../../domain/identity/identity.errors.js';
import type { JwksProvider } from '../../../domain/identity/jwks-provider.port.js';
import type { Principal, PrincipalKind } from '../../../domain/identity/principal.js';
import type { SecretBox } from '../../../domain/identity/secret-box.port.js';
import { maySign, type SigningKey } from '../../../domain/identity/signing-key.js';
import type { SigningKeyRepository } from '../../../domain/identity/signing-key.repository.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';
import { isDomainError } from '../../../domain/shared/errors.js';
import { isUuid } from '../../../domain/shared/uuid.js';

const ALG = 'EdDSA';
const TOKEN_TYPE = 'at+jwt';
/** Larger tokens are refused before any parsing. */
export const MAX_ACCESS_TOKEN_BYTES = 8 * 1024;
/**
 * JWS compact serialization: three base64url segments (an empty signature is let through, so
 * an unsigned token is refused for its algorithm, the clearer reason).
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const KINDS: ReadonlySet<string> = new Set<PrincipalKind>(['user', 'service']);
const MAX_ROLES = 256;

export interface JoseTokenServiceOptions {
  /** `iss` of issued tokens; required on verification. */
  readonly issuer: string;
  /** `aud` of issued tokens; required on verification. */
  readonly audience: string;
  /** Access-token lifetime. Default 900 (15 minutes). */
  readonly accessTokenTtlSeconds?: number;
  /** Allowed clock skew on `exp`/`nbf`/`iat`. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** A token with an unknown `kid` reloads keys at most once per this interval. Default 10. */
  readonly unknownKeyRefreshIntervalSeconds?: number;
  /** Cached keys older than this are reloaded before use (other replicas rotate). Default 60. */
  readonly keyCacheMaxAgeSeconds?: number;
  /**
   * A rotated-in key is published at once but signs only this long after (default 300, the
   * JWKS HTTP cache max-age): relying parties and other replicas know it before any token
   * names it. The keys it replaces keep signing until then.
   */
  readonly activationDelaySeconds?: number;
}

export interface JoseTokenServiceDeps {
  readonly keys: SigningKeyRepository;
  /** Seals private JWKs at rest; best bound to its own purpose (e.g. `signing-key`). */
  readonly secretBox: SecretBox;
  readonly clock: Clock;
}

interface CachedKey {
  readonly kid: string;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly createdAt: Date;
  readonly retiredAt: Date | undefined;
}

interface ActiveKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly createdAt: Date;
  readonly activatesAt: Date | undefined;
  readonly retiredAt: Date | undefined;
}

/** The public members of a JWK that a JWKS may carry. */
function publicPart(jwk: Readonly<Record<string, unknown>>, kid: string): JWK {
  const { kty, crv, x } = jwk;
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string') {
    throw new Error(`signing key ${kid} is not an Ed25519 public key`);
  }
  return { kty, crv, x, kid, alg: ALG, use: 'sig' };
}

const newestFirst = (a: { createdAt: Date; kid: string }, b: { createdAt: Date; kid: string }) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0);

/**
 * Issues and verifies EdDSA (Ed25519) access tokens (`typ: at+jwt`, RFC 9068 style) with keys
 * kept in a `SigningKeyRepository`, private halves sealed by a `SecretBox`.
 *
 * Call `ensureActiveKey()` once at startup. Keys are cached; the cache reloads when older than
 * `keyCacheMaxAgeSeconds`, on `refresh()`, and (rate limited) when a token names an unknown key.
 */
export class JoseTokenService implements AccessTokenIssuer, AccessTokenVerifier, JwksProvider {
  private readonly issuer: string;
  private readonly audience: string;
  private readonly ttlSeconds: number;
  private readonly toleranceSeconds: number;
  private readonly unknownKeyIntervalMs: number;
  private readonly cacheMaxAgeMs: number;
  private readonly activationDelayMs: number;
  private readonly keys: SigningKeyRepository;
  private readonly secretBox: SecretBox;
  private readonly clock: Clock;

  private publicKeys = new Map<string, CachedKey>();
  /** Keys that sign now or will (pending activation), newest first. */
  private signers: readonly ActiveKey[] = [];
  private loadedAt: number | undefined;
  private lastUnknownKeyRefreshAt: number | undefined;
  private inflightRefresh: Promise<void> | undefined;
  private inflightEnsure: Promise<void> | undefined;
  private lastFailedRefreshAt: number | undefined;

  constructor(options: JoseTokenServiceOptions, deps: JoseTokenServiceDeps) {
    const nonNegative = (name: string, value: number): number => {
      if (!Number.isFinite(value) || value < 0)
        throw new Error(`${name} must be a non-negative number`);
      return value;
    };
    if (options.issuer === '' || options.audience === '') {
      throw new Error('token issuer and audience are required');
    }
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.ttlSeconds = nonNegative('accessTokenTtlSeconds', options.accessTokenTtlSeconds ?? 900);
    if (this.ttlSeconds < 1 || !Number.isInteger(this.ttlSeconds)) {
      throw new Error('accessTokenTtlSeconds must be a positive integer');
    }
    this.toleranceSeconds = nonNegative(
      'clockToleranceSeconds',
      options.clockToleranceSeconds ?? 5,
    );
    this.unknownKeyIntervalMs =
      nonNegative(
        'unknownKeyRefreshIntervalSeconds',
        options.unknownKeyRefreshIntervalSeconds ?? 10,
      ) * 1000;
    this.cacheMaxAgeMs =
      nonNegative('keyCacheMaxAgeSeconds', options.keyCacheMaxAgeSeconds ?? 60) * 1000;
    this.activationDelayMs =
      nonNegative('activationDelaySeconds', options.activationDelaySeconds ?? 300) * 1000;
    this.keys = deps.keys;
    this.secretBox = deps.secretBox;
    this.clock = deps.clock;
  }

  // ---------------------------------------------------------------- key management

  /** Startup: load the keys; when no unretired key exists, create one. */
  ensureActiveKey(): Promise<void> {
    this.inflightEnsure ??= this.ensureActiveKeyOnce().finally(() => {
      this.inflightEnsure = undefined;
    });
    return this.inflightEnsure;
  }

  private async ensureActiveKeyOnce(): Promise<void> {
    await this.refresh();
    if (this.hasActiveKey()) return;
    // Nothing can sign: a new key is needed now, with no activation delay.
    await this.keys.insert(await this.generateKey(undefined));
    await this.refresh();
    if (!this.hasActiveKey()) throw new Error('no active signing key after creating one');
  }

  private hasActiveKey(): boolean {
    return this.activeKey() !== undefined;
  }

  /** The newest key that may sign now. */
  private activeKey(): ActiveKey | undefined {
    const now = this.clock.now();
    return this.signers.find((key) => maySign(key, now));
  }

  /** The kid and creation time of the key that signs now (after a refresh when stale). */
  async activeKeyInfo(): Promise<{ kid: string; createdAt: Date } | undefined> {
    await this.ensureFresh();
    const active = this.activeKey();
    return active === undefined ? undefined : { kid: active.kid, createdAt: active.createdAt };
  }

  /**
   * Rotates when the key that signs now is older than `maxAgeMs` and no newer key is already
   * waiting for activation. Safe when several replicas do it at once: each rotation retires
   * every other unretired key, so at most one of the new keys stays.
   */
  async rotateIfOlderThan(maxAgeMs: number): Promise<string | undefined> {
    await this.refresh();
    const now = this.clock.now().getTime();
    const active = this.activeKey();
    if (active !== undefined) {
      const pending = this.signers.some(
        (key) => key.activatesAt !== undefined && key.activatesAt.getTime() > now,
      );
      if (pending || now - active.createdAt.getTime() < maxAgeMs) return undefined;
    }
    return this.rotate();
  }

  /**
   * Creates a key, published once its transaction has committed and signing from
   * `activationDelaySeconds` on, and retires every other unretired key at that same instant
   * (they sign until then). Tokens the retired keys signed stay verifiable: their public halves
   * are published until they expire. The writes join the caller's transaction, and the keys
   * are read again once it has ended: a key whose transaction rolled back is never published
   * and never signs.
   */
  async rotate(): Promise<string> {
    const now = this.clock.now();
    const activatesAt = new Date(now.getTime() + this.activationDelayMs);
    const key = await this.generateKey(activatesAt);
    await this.keys.addSuccessor(key, activatesAt);
    await this.keys.afterWrites(() => this.reloadAfterRotation());
    return key.kid;
  }

  /**
   * A load begun before the rotation committed would not hold its key: wait for it, then load
   * again. A failure does not undo the committed rotation (nor fail its call): the next check
   * of the cache reloads instead.
   */
  private async reloadAfterRotation(): Promise<void> {
    await this.inflightRefresh?.catch(() => undefined);
    try {
      await this.refresh();
    } catch {
      if (this.loadedAt !== undefined) this.loadedAt = Number.NEGATIVE_INFINITY;
    }
  }

  /** Reloads keys from the repository now (concurrent calls share one load). */
  refresh(): Promise<void> {
    this.inflightRefresh ??= this.load().finally(() => {
      this.inflightRefresh = undefined;
    });
    return this.inflightRefresh;
  }

  private async load(): Promise<void> {
    const now = this.clock.now();
    const stored = await this.keys.listPublishable(this.publishableSince(now));
    const next = new Map<string, CachedKey>();
    for (const key of stored) {
      const cached = this.publicKeys.get(key.kid);
      if (cached !== undefined) {
        next.set(key.kid, { ...cached, retiredAt: key.retiredAt });
        continue;
      }
      const publicJwk = publicPart(key.publicJwk, key.kid);
      const publicKey = await importJWK(publicJwk, ALG);
      if (publicKey instanceof Uint8Array) {
        throw new Error(`signing key ${key.kid} did not import as an asymmetric key`);
      }
      next.set(key.kid, {
        kid: key.kid,
        publicKey,
        publicJwk,
        createdAt: key.createdAt,
        retiredAt: key.retiredAt,
      });
    }
    // Keys that sign now or later: unretired, or retired in the future (until a successor
    // activates). Which one signs is decided at each issue.
    const signers: ActiveKey[] = [];
    for (const key of stored
      .filter((k) => k.retiredAt === undefined || k.retiredAt.getTime() > now.getTime())
      .sort(newestFirst)) {
      const known = this.signers.find((s) => s.kid === key.kid);
      signers.push({
        kid: key.kid,
        privateKey: known?.privateKey ?? (await this.openPrivateKey(key)),
        createdAt: key.createdAt,
        activatesAt: key.activatesAt,
        retiredAt: key.retiredAt,
      });
    }
    this.publicKeys = next;
    this.signers = signers;
    this.loadedAt = now.getTime();
  }

  private async openPrivateKey(key: SigningKey): Promise<CryptoKey> {
    let jwk: unknown;
    try {
      jwk = JSON.parse(new TextDecoder().decode(this.secretBox.open(key.sealedPrivateJwk)));
    } catch {
      throw new Error(`signing key ${key.kid} cannot be opened (wrong master key?)`);
    }
    if (typeof jwk !== 'object' || jwk === null)
      throw new Error(`signing key ${key.kid} is malformed`);
    const privateKey = await importJWK(jwk as JWK, ALG);
    if (privateKey instanceof Uint8Array) throw new Error(`signing key ${key.kid} is malformed`);
    return privateKey;
  }

  private async generateKey(activatesAt: Date | undefined): Promise<SigningKey> {
    const pair = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: ALG };
    return {
      kid,
      algorithm: ALG,
      publicJwk: publicPart(publicJwk, kid),
      sealedPrivateJwk: this.secretBox.seal(new TextEncoder().encode(JSON.stringify(privateJwk))),
      createdAt: this.clock.now(),
      retiredAt: undefined,
      activatesAt,
    };
  }

  /**
   * A key retired before this instant can no longer have signed an unexpired token. Besides
   * TTL and tolerance, the window covers the key cache age: a replica that has not yet seen a
   * rotation made elsewhere keeps signing with the old key for up to that long.
   */
  private publishableSince(now: Date): Date {
    const windowMs = (this.ttlSeconds + this.toleranceSeconds) * 1000 + this.cacheMaxAgeMs;
    return new Date(now.getTime() - windowMs);
  }

  /**
   * Reloads a cache older than `keyCacheMaxAgeSeconds`. When a cache exists and the repository
   * is down, keeps serving the cached keys (retrying at most once per unknown-key interval):
   * a database blip must not reject every token.
   */
  private async ensureFresh(): Promise<void> {
    const now = this.clock.now().getTime();
    const loadedAt = this.loadedAt;
    if (loadedAt === undefined) {
      await this.refresh();
      return;
    }
    if (now - loadedAt < this.cacheMaxAgeMs && now >= loadedAt) return;
    const failedAt = this.lastFailedRefreshAt;
    if (failedAt !== undefined && now - failedAt < this.unknownKeyIntervalMs && now >= failedAt) {
      return;
    }
    try {
      await this.refresh();
      this.lastFailedRefreshAt = undefined;
    } catch {
      this.lastFailedRefreshAt = now;
    }
  }

  // ---------------------------------------------------------------- JWKS

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.ensureFresh();
    const since = this.publishableSince(this.clock.now()).getTime();
    const keys = [...this.publicKeys.values()]
      .filter((k) => k.retiredAt === undefined || k.retiredAt.getTime() > since)
      .sort(newestFirst)
      .map((k) => ({ ...k.publicJwk }));
    return { keys };
  }

  async publishedKeys(): Promise<string> {
    return JSON.stringify(await this.jwks());
  }

  // ---------------------------------------------------------------- issue

  async issue(claims: AccessTokenClaims): Promise<IssuedAccessToken> {
    await this.ensureFresh();
    if (!this.hasActiveKey()) await this.ensureActiveKey();
    const active = this.activeKey();
    if (active === undefined) throw new Error('no active signing key');

    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const exp = iat + this.ttlSeconds;
    const payload: JWTPayload = {
      tid: claims.tenantId,
      kind: claims.kind,
      roles: [...claims.roles],
      amr: [...claims.amr],
    };
    if (claims.sessionId !== undefined) payload.sid = claims.sessionId;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: ALG, kid: active.kid, typ: TOKEN_TYPE })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(claims.subjectId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(active.privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  // ---------------------------------------------------------------- verify

  /** Throws `INVALID_TOKEN` (unauthenticated) for anything but a valid, current token; never another error. */
  async verify(token: string): Promise<Principal> {
    try {
      return await this.verifyOrThrow(token);
    } catch (error) {
      if (isDomainError(error)) throw error;
      // Repository or key failures while resolving a key: still an authentication failure to
      // the caller, and the reason never carries the token.
      throw invalidToken('verification failed');
    }
  }

  private async verifyOrThrow(token: string): Promise<Principal> {
    const raw: unknown = token; // callers outside TypeScript may pass anything
    if (typeof raw !== 'string' || raw.length === 0) throw invalidToken('missing');
    if (token.length > MAX_ACCESS_TOKEN_BYTES) throw invalidToken('too large');
    if (!COMPACT_JWS.test(token)) throw invalidToken('malformed');

    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalidToken('malformed');
    }
    if (header.alg !== ALG) throw invalidToken('unsupported algorithm');
    if (header.typ !== TOKEN_TYPE) throw invalidToken('wrong type');
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') throw invalidToken('missing key id');

    const key = await this.publicKeyFor(kid);
    if (key === undefined) throw invalidToken('unknown key');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: this.audience,
        typ: TOKEN_TYPE,
        clockTolerance: this.toleranceSeconds,
        currentDate: this.clock.now(),
        requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'tid', 'kind', 'roles'],
      }));
    } catch (error) {
      throw invalidToken(reasonOf(error));
    }
    return this.toPrincipal(payload);
  }

  private async publicKeyFor(kid: string): Promise<CryptoKey | undefined> {
    await this.ensureFresh();
    const cached = this.publicKeys.get(kid);
    if (cached !== undefined) return cached.publicKey;
    const now = this.clock.now().getTime();
    const last = this.lastUnknownKeyRefreshAt;
    if (last !== undefined && now - last < this.unknownKeyIntervalMs && now >= last)
      return undefined;
    this.lastUnknownKeyRefreshAt = now;
    await this.refresh();
    return this.publicKeys.get(kid)?.publicKey;
  }

  private toPrincipal(payload: JWTPayload): Principal {
    const { sub, exp, iat } = payload;
    const { tid, kind, roles, sid, amr } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || !isUuid(sub)) throw invalidToken('bad sub');
    if (typeof tid !== 'string' || !isUuid(tid)) throw invalidToken('bad tid');
    if (typeof kind !== 'string' || !KINDS.has(kind)) throw invalidToken('bad kind');
    if (
      !Array.isArray(roles) ||
      roles.length > MAX_ROLES ||
      !roles.every((r): r is string => typeof r === 'string' && r !== '')
    ) {
      throw invalidToken('bad roles');
    }
    if (sid !== undefined && (typeof sid !== 'string' || !isUuid(sid)))
      throw invalidToken('bad sid');
    if (amr !== undefined && (!Array.isArray(amr) || !amr.every((m) => typeof m === 'string'))) {
      throw invalidToken('bad amr');
    }
    if (typeof exp !== 'number' || typeof iat !== 'number') throw invalidToken('bad timestamps');
    const nowSeconds = this.clock.now().getTime() / 1000;
    if (iat > nowSeconds + this.toleranceSeconds) throw invalidToken('issued in the future');
    return {
      subjectId: sub.toLowerCase(),
      tenantId: tid.toLowerCase(),
      kind: kind as PrincipalKind,
      roles: Object.freeze([...roles]),
      sessionId: typeof sid === 'string' ? sid.toLowerCase() : undefined,
      expiresAt: new Date(exp * 1000),
    };
  }
}

/** A short, token-free reason for a jose failure. */
function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return 'wrong issuer';
      case 'aud':
        return 'wrong audience';
      case 'nbf':
        return 'not yet valid';
      case 'typ':
        return 'wrong type';
      case 'iat':
      case 'exp':
      case 'sub':
      case 'jti':
      case 'tid':
      case 'kind':
      case 'roles':
        return `bad ${error.claim}`;
      default:
        return 'bad claims';
    }
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'unsupported algorithm';
  return 'malformed';
}
