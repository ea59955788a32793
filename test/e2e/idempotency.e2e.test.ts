import { Client, status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  IdempotencyServiceClient,
  IdempotencyState,
} from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/idempotency.js';
import {
  CreateTenantRequest,
  CreateTenantResponse,
  TenancyServiceService,
} from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, callWithHeaders, failureOf, insecure } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';

const MODES = [
  { name: 'Postgres store', env: {} },
  { name: 'Redis store in front of the Postgres ledger', env: { REDIS_URL: inject('redisUrl') } },
] as const;

describe.each(MODES)('idempotency end to end, $name', ({ env }) => {
  let t: TestCore;
  let admin: string;
  let idempotency: IdempotencyServiceClient;

  beforeAll(async () => {
    t = await startTestCore(env);
    admin = await t.adminToken();
    idempotency = new IdempotencyServiceClient(t.address, insecure);
  });
  afterAll(async () => {
    idempotency.close();
    await t.close();
  });

  const createTenant = (slug: string, key: string | undefined, displayName = `Tenant ${slug}`) =>
    callWithHeaders(
      t.tenancy,
      'createTenant',
      { slug, displayName, plan: '', selfSignUpEnabled: false },
      bearer(admin, key === undefined ? {} : { 'idempotency-key': key }),
    );

  const tenantsWithSlug = async (slug: string): Promise<number> => {
    const rows = await t.database.ownerKnex('core.tenants').where({ slug }).count('* as count');
    return Number(rows[0]?.count);
  };

  it('runs a keyed call once and replays the identical response, marked as replayed', async () => {
    const key = randomUUID();
    const first = await createTenant('once-co', key);
    expect(first.headers.get('idempotent-replayed')).toEqual([]);
    const again = await createTenant('once-co', key);
    expect(again.response).toEqual(first.response);
    expect(again.headers.get('idempotent-replayed')).toEqual(['true']);
    expect(await tenantsWithSlug('once-co')).toBe(1);
  });

  it('refuses a required key that is missing, and keys that are not printable ASCII', async () => {
    const missing = await failureOf(createTenant('nokey-co', undefined));
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.reason).toBe('IDEMPOTENCY_KEY_REQUIRED');
    for (const key of ['x'.repeat(256)]) {
      const bad = await failureOf(createTenant('badkey-co', key));
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.fieldViolations).toEqual(['idempotency-key']);
    }
    expect(await tenantsWithSlug('nokey-co')).toBe(0);
  });

  it('refuses the same key with a different request, executing nothing', async () => {
    const key = randomUUID();
    await createTenant('first-co', key);
    const reused = await failureOf(createTenant('second-co', key));
    expect(reused.code).toBe(status.FAILED_PRECONDITION);
    expect(reused.reason).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await tenantsWithSlug('second-co')).toBe(0);
  });

  it('fingerprints the bytes as sent: the same message encoded otherwise is another request', async () => {
    const key = randomUUID();
    const request = { slug: 'bytes-co', displayName: 'Bytes', plan: '', selfSignUpEnabled: false };
    await createTenant(request.slug, key, request.displayName);
    const canonical = Buffer.from(CreateTenantRequest.encode(request).finish());
    // The same message with its empty `plan` (field 3) written out: decodes to the same thing.
    const spelledOut = Buffer.concat([canonical, Buffer.from([0x1a, 0x00])]);
    expect(CreateTenantRequest.decode(spelledOut)).toEqual(CreateTenantRequest.decode(canonical));
    const raw = new Client(t.address, insecure);
    try {
      const send = (bytes: Buffer) =>
        new Promise<Buffer>((resolve, reject) => {
          raw.makeUnaryRequest(
            TenancyServiceService.createTenant.path,
            (b: Buffer) => b,
            (b: Buffer) => b,
            bytes,
            bearer(admin, { 'idempotency-key': key }),
            (error, response) => {
              if (error) reject(error);
              else resolve(response ?? Buffer.alloc(0));
            },
          );
        });
      expect(CreateTenantResponse.decode(await send(canonical)).tenant?.slug).toBe('bytes-co');
      const reused = await failureOf(send(spelledOut));
      expect(reused.reason).toBe('IDEMPOTENCY_KEY_REUSED');
    } finally {
      raw.close();
    }
    expect(await tenantsWithSlug('bytes-co')).toBe(1);
  });

  it('keeps deterministic client errors and replays them byte for byte', async () => {
    await createTenant('taken-co', randomUUID());
    const key = randomUUID();
    const first = await failureOf(createTenant('taken-co', key));
    expect(first.reason).toBe('TENANT_SLUG_TAKEN');
    const replayed = await failureOf(createTenant('taken-co', key));
    expect(replayed).toMatchObject({
      code: first.code,
      message: first.message,
      reason: first.reason,
    });
    expect(replayed.metadata.get('idempotent-replayed')).toEqual(['true']);
  });

  it('scopes keys by caller: the same key from another principal is its own call', async () => {
    const email = `op-${randomUUID()}@platform.test`;
    await seedUser(t.database.appUrl, '00000000-0000-4000-8000-000000000001', {
      email,
      password: 'second operator password',
      role: 'admin',
    }).then(async () => {
      const other = await t.login('platform', email, 'second operator password');
      const key = randomUUID();
      await createTenant('scope-a', key);
      const fromOther = await callWithHeaders(
        t.tenancy,
        'createTenant',
        { slug: 'scope-b', displayName: 'B', plan: '', selfSignUpEnabled: false },
        bearer(other, { 'idempotency-key': key }),
      );
      expect(fromOther.headers.get('idempotent-replayed')).toEqual([]);
      expect(await tenantsWithSlug('scope-b')).toBe(1);
    });
  });

  it('answers a concurrent duplicate with IDEMPOTENCY_IN_PROGRESS or the replay, never a second effect', async () => {
    const key = randomUUID();
    const answers = await Promise.allSettled(
      Array.from({ length: 8 }, () => createTenant('race-co', key)),
    );
    const reasons = await Promise.all(
      answers
        .filter((answer) => answer.status === 'rejected')
        .map((answer) => failureOf(Promise.reject(answer.reason as Error))),
    );
    for (const reason of reasons) expect(reason.reason).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(answers.some((answer) => answer.status === 'fulfilled')).toBe(true);
    expect(await tenantsWithSlug('race-co')).toBe(1);
  });

  it('gives RegisterUser one effect per key: replay, mismatch refused, a kept client error', async () => {
    const usersWithEmail = async (email: string): Promise<number> => {
      const rows = await t.database
        .ownerKnex('core.users')
        .where({ email_normalized: email })
        .count('* as count');
      return Number(rows[0]?.count);
    };
    const register = (email: string, key: string) =>
      callWithHeaders(
        t.identity,
        'registerUser',
        { tenantSlug: '', email, password: 'a registered password', displayName: 'Reg' },
        bearer(admin, { 'idempotency-key': key }),
      );
    const email = `reg-${randomUUID()}@idem.test`;
    const key = randomUUID();
    const first = await register(email, key);
    const again = await register(email, key);
    expect(again.response).toEqual(first.response);
    expect(again.headers.get('idempotent-replayed')).toEqual(['true']);

    const other = `reg-${randomUUID()}@idem.test`;
    const reused = await failureOf(register(other, key));
    expect(reused.reason).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await usersWithEmail(email)).toBe(1);
    expect(await usersWithEmail(other)).toBe(0);

    // The email is taken now: a new key's ALREADY_EXISTS is kept and replayed as is.
    const takenKey = randomUUID();
    const taken = await failureOf(register(email, takenKey));
    expect(taken.code).toBe(status.ALREADY_EXISTS);
    const takenAgain = await failureOf(register(email, takenKey));
    expect(takenAgain).toMatchObject({ code: taken.code, reason: taken.reason });
    expect(takenAgain.metadata.get('idempotent-replayed')).toEqual(['true']);
  });

  describe('IdempotencyService for other microservices', () => {
    const begin = (key: string, fingerprint = 'fp-1') =>
      call(idempotency, 'begin', { key, scope: 'charge', fingerprint, leaseMs: 0 }, bearer(admin));

    it('NEW, then IN_PROGRESS, then COMPLETED with the stored response; MISMATCH on another fingerprint', async () => {
      const key = randomUUID();
      const first = await begin(key);
      expect(first.state).toBe(IdempotencyState.IDEMPOTENCY_STATE_NEW);
      expect(first.leaseToken).not.toBe('');
      expect((await begin(key)).state).toBe(IdempotencyState.IDEMPOTENCY_STATE_IN_PROGRESS);
      await call(
        idempotency,
        'complete',
        {
          key,
          scope: 'charge',
          leaseToken: first.leaseToken,
          response: Buffer.from('receipt-42'),
          status: 0,
          retentionSeconds: 0,
        },
        bearer(admin),
      );
      const done = await begin(key);
      expect(done.state).toBe(IdempotencyState.IDEMPOTENCY_STATE_COMPLETED);
      expect(Buffer.from(done.storedResponse?.response ?? []).toString()).toBe('receipt-42');
      expect((await begin(key, 'fp-2')).state).toBe(IdempotencyState.IDEMPOTENCY_STATE_MISMATCH);
    });

    it('releases a key for a retry, and refuses to complete with a stale lease token', async () => {
      const key = randomUUID();
      const first = await begin(key);
      await call(
        idempotency,
        'release',
        { key, scope: 'charge', leaseToken: first.leaseToken },
        bearer(admin),
      );
      const second = await begin(key);
      expect(second.state).toBe(IdempotencyState.IDEMPOTENCY_STATE_NEW);
      const stale = await failureOf(
        call(
          idempotency,
          'complete',
          {
            key,
            scope: 'charge',
            leaseToken: first.leaseToken,
            response: Buffer.from('late'),
            status: 0,
            retentionSeconds: 0,
          },
          bearer(admin),
        ),
      );
      expect(stale.code).toBe(status.ABORTED);
      expect(stale.reason).toBe('IDEMPOTENCY_LEASE_LOST');
    });

    it('validates its input, naming the field', async () => {
      const bad = await failureOf(
        call(
          idempotency,
          'begin',
          { key: '', scope: 'charge', fingerprint: 'f', leaseMs: 0 },
          bearer(admin),
        ),
      );
      expect(bad.fieldViolations).toEqual(['key']);
      const lease = await failureOf(
        call(
          idempotency,
          'begin',
          { key: 'k', scope: 'charge', fingerprint: 'f', leaseMs: 700_000 },
          bearer(admin),
        ),
      );
      expect(lease.fieldViolations).toEqual(['lease_ms']);
      const anonymous = await failureOf(
        call(idempotency, 'begin', { key: 'k', scope: 'charge', fingerprint: 'f', leaseMs: 0 }),
      );
      expect(anonymous.code).toBe(status.UNAUTHENTICATED);
    });
  });
});
