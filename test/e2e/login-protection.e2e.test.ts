import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { seedUser } from '../support/seed.js';

const PASSWORD = 'the right password 123';
const WRONG = 'a wrong password 123';
const MAX_FAILURES = 3;
const LOCK_SECONDS = 120;

interface AuditRow {
  action: string;
  outcome: string;
  actor_kind: string;
  actor_subject_id: string | null;
  actor_ip: string | null;
  actor_request_id: string | null;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
}

const variants: { name: string; env: Record<string, string>; enabled: boolean }[] = [
  { name: 'Postgres throttle', env: {}, enabled: true },
  {
    name: 'Redis throttle',
    // The test Redis outlives this run's databases and is shared by every test file from
    // 127.0.0.1: the per-ip cap is out of the way here (it is tested on Postgres below).
    env: { REDIS_URL: inject('redisUrl'), LOGIN_IP_MAX_FAILURES: '100000' },
    enabled: inject('redisAvailable'),
  },
];

for (const variant of variants) {
  describe.runIf(variant.enabled)(`Login brute-force protection and audit: ${variant.name}`, () => {
    let t: TestCore;
    let admin: string;
    let tenantId: string;
    let userId: string;
    // Unique per run: the Redis counters outlive the database.
    const slug = `lock-${randomBytes(4).toString('hex')}`;

    const auditRows = async (tenant: string): Promise<AuditRow[]> =>
      (
        await t.database.ownerKnex.raw<{ rows: AuditRow[] }>(
          `select action, outcome, actor_kind, actor_subject_id, host(actor_ip) as actor_ip,
                  actor_request_id, target_type, target_id, details
             from core.audit_events where tenant_id = ? order by occurred_at, recorded_at, id`,
          [tenant],
        )
      ).rows;

    beforeAll(async () => {
      t = await startTestCore({
        LOGIN_MAX_FAILURES: String(MAX_FAILURES),
        LOGIN_LOCK_SECONDS: String(LOCK_SECONDS),
        ...variant.env,
      });
      admin = await t.adminToken();
      const { tenant } = await call(
        t.tenancy,
        'createTenant',
        { slug, displayName: 'Lock Co', plan: '', selfSignUpEnabled: false },
        bearer(admin, freshKey()),
      );
      tenantId = tenant!.id;
      userId = await seedUser(t.database.appUrl, tenantId, {
        email: 'ada@lock.test',
        password: PASSWORD,
        role: 'member',
      });
      await seedUser(t.database.appUrl, tenantId, {
        email: 'grace@lock.test',
        password: PASSWORD,
        role: 'member',
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('records a successful login with the user, the peer ip and the request id', async () => {
      await t.login(slug, 'grace@lock.test', PASSWORD);
      const rows = await auditRows(tenantId);
      expect(rows.filter((row) => row.action === 'auth.login.succeeded')).toEqual([
        expect.objectContaining({
          outcome: 'success',
          actor_kind: 'user',
          actor_ip: '127.0.0.1',
          target_type: 'user',
          actor_request_id: expect.any(String) as unknown,
        }),
      ]);
    });

    it('locks (tenant, email) after N failures: even the right password gets RESOURCE_EXHAUSTED with RetryInfo', async () => {
      for (let i = 0; i < MAX_FAILURES; i += 1) {
        const error = await failureOf(t.login(slug, 'ada@lock.test', WRONG));
        expect(error.code).toBe(status.UNAUTHENTICATED);
      }
      const locked = await failureOf(t.login(slug, 'ADA@lock.test', PASSWORD));
      expect(locked.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(locked.reason).toBe('TOO_MANY_LOGIN_ATTEMPTS');
      expect(locked.retryDelayMs).toBeGreaterThan((LOCK_SECONDS - 10) * 1000);
      expect(locked.retryDelayMs).toBeLessThanOrEqual(LOCK_SECONDS * 1000);

      const rows = (await auditRows(tenantId)).filter(
        (row) => row.details.email === 'ada@lock.test',
      );
      // The failure that locks and the lock share a timestamp: compare as a set.
      expect(rows.map((row) => `${row.action}/${row.outcome}`).sort()).toEqual(
        [
          'auth.login.failed/failure',
          'auth.login.failed/failure',
          'auth.login.failed/failure',
          'auth.login.locked/denied',
          'auth.login.failed/denied',
        ].sort(),
      );
      // Known before the password is checked: the user is the target. Refused before the
      // lookup: no target, as for an unknown email.
      const denied = rows.filter(
        (row) => row.action === 'auth.login.failed' && row.outcome === 'denied',
      );
      expect(denied).toEqual([
        expect.objectContaining({
          target_id: null,
          details: expect.objectContaining({ reason: 'throttled' }) as unknown,
        }),
      ]);
      expect(rows.filter((row) => row !== denied[0]).every((row) => row.target_id === userId)).toBe(
        true,
      );
      expect(rows[0]).toMatchObject({
        actor_kind: 'anonymous',
        actor_ip: '127.0.0.1',
        details: { email: 'ada@lock.test', reason: 'wrong_password' },
      });
      expect(JSON.stringify(rows)).not.toContain('password 123');
    });

    it('leaves other emails of the tenant unaffected', async () => {
      await expect(t.login(slug, 'grace@lock.test', PASSWORD)).resolves.toEqual(expect.any(String));
    });

    it('locks an unknown email exactly the same way (no enumeration)', async () => {
      const codes: number[] = [];
      for (let i = 0; i < MAX_FAILURES; i += 1) {
        codes.push((await failureOf(t.login(slug, 'nobody@lock.test', PASSWORD))).code);
      }
      expect(codes).toEqual(Array(MAX_FAILURES).fill(status.UNAUTHENTICATED));
      const locked = await failureOf(t.login(slug, 'nobody@lock.test', PASSWORD));
      expect(locked.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(locked.reason).toBe('TOO_MANY_LOGIN_ATTEMPTS');
      expect(locked.retryDelayMs).toBeGreaterThan(0);
      const rows = (await auditRows(tenantId)).filter(
        (row) => row.details.email === 'nobody@lock.test',
      );
      expect(rows.map((row) => row.action)).toContain('auth.login.locked');
      expect(rows.every((row) => row.target_id === null)).toBe(true);
    });

    it('records failures on an unknown tenant in the platform log with the slug named', async () => {
      await failureOf(t.login(`${slug}-nope`, 'ada@lock.test', WRONG));
      const rows = await auditRows('00000000-0000-4000-8000-000000000001');
      expect(rows).toContainEqual(
        expect.objectContaining({
          action: 'auth.login.failed',
          details: { email: 'ada@lock.test', tenantSlug: `${slug}-nope`, reason: 'unknown_tenant' },
        }),
      );
    });

    it('records tenant changes in the tenant log with the operator as actor', async () => {
      await call(
        t.tenancy,
        'updateTenant',
        { id: tenantId, displayName: 'Lock Co 2' },
        bearer(admin),
      );
      await call(t.tenancy, 'suspendTenant', { id: tenantId, reason: 'test' }, bearer(admin));
      await call(t.tenancy, 'reactivateTenant', { id: tenantId }, bearer(admin));
      const rows = (await auditRows(tenantId)).filter((row) => row.action.startsWith('tenant.'));
      expect(rows.map((row) => row.action)).toEqual([
        'tenant.created',
        'tenant.updated',
        'tenant.suspended',
        'tenant.reactivated',
      ]);
      for (const row of rows) {
        expect(row).toMatchObject({
          outcome: 'success',
          actor_kind: 'user',
          actor_ip: '127.0.0.1',
          target_type: 'tenant',
          target_id: tenantId,
          details: expect.objectContaining({
            actorTenantId: '00000000-0000-4000-8000-000000000001',
          }) as unknown,
        });
        expect(row.actor_subject_id).toEqual(expect.any(String));
      }
      expect(rows[1]?.details).toMatchObject({
        fields: 'displayName',
        'before.displayName': expect.any(String) as unknown,
        'after.displayName': 'Lock Co 2',
      });
      expect(rows[2]?.details).toMatchObject({
        'before.status': 'active',
        'after.status': 'suspended',
      });
      expect(rows[3]?.details).toMatchObject({
        'before.status': 'suspended',
        'after.status': 'active',
      });
    });

    it('does not let the app role UPDATE or DELETE audit rows, even its own tenant’s', async () => {
      const attempt = (sql: string) =>
        t.database.appKnex.transaction(async (trx) => {
          await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
          await trx.raw(sql);
        });
      await expect(
        attempt("update core.audit_events set outcome = 'failure'"),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(attempt('delete from core.audit_events')).rejects.toMatchObject({
        code: '42501',
      });
    });
  });
}

describe('Login per-ip cap (Postgres throttle)', () => {
  let t: TestCore;
  beforeAll(async () => {
    t = await startTestCore({ LOGIN_MAX_FAILURES: '100', LOGIN_IP_MAX_FAILURES: '4' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses every login from an ip past its failures, whichever the account', async () => {
    for (let i = 0; i < 4; i += 1) {
      const error = await failureOf(t.login('platform', `spray-${String(i)}@x.test`, WRONG));
      expect(error.code).toBe(status.UNAUTHENTICATED);
    }
    const capped = await failureOf(t.login('platform', 'another@x.test', WRONG));
    expect(capped.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(capped.retryDelayMs).toBeGreaterThan(0);
  });
});
