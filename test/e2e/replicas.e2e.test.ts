import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantStatus } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';
import { eventually } from '../support/eventually.js';

const PASSWORD = 'replica member password';

describe('two replicas on one database', () => {
  let a: TestCore;
  let b: TestCore;
  let admin: string;
  let tenantId: string;
  let member: string;

  beforeAll(async () => {
    a = await startTestCore();
    b = await startTestCore({}, { replicaOf: a });
    admin = await a.adminToken();
    const { tenant } = await call(
      a.tenancy,
      'createTenant',
      { slug: 'replicated', displayName: 'Replicated', plan: '', selfSignUpEnabled: false },
      bearer(admin, freshKey()),
    );
    tenantId = tenant!.id;
    await seedUser(a.database.appUrl, tenantId, {
      email: 'r@replica.test',
      password: PASSWORD,
      role: 'admin',
    });
    member = await b.login('replicated', 'r@replica.test', PASSWORD);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const getOnB = () =>
    call(b.tenancy, 'getTenant', { lookup: { $case: 'id', value: tenantId } }, bearer(member));

  it('a change on one replica reaches the other replica caches within a second', async () => {
    expect((await getOnB()).tenant?.displayName).toBe('Replicated');
    await call(
      a.tenancy,
      'updateTenant',
      { id: tenantId, displayName: 'Renamed on A' },
      bearer(admin),
    );
    const took = await eventually(1000, async () => {
      expect((await getOnB()).tenant?.displayName).toBe('Renamed on A');
    });
    expect(took).toBeLessThan(1000);
  });

  it('a suspension on one replica stops the tenant tokens and logins on the other within a second', async () => {
    await call(a.tenancy, 'suspendTenant', { id: tenantId, reason: 'replica test' }, bearer(admin));
    await eventually(1000, async () => {
      expect((await failureOf(getOnB())).code).toBe(status.UNAUTHENTICATED);
    });
    const login = await failureOf(b.login('replicated', 'r@replica.test', PASSWORD));
    expect(login.reason).toBe('INVALID_CREDENTIALS');

    await call(a.tenancy, 'reactivateTenant', { id: tenantId }, bearer(admin));
    await eventually(1000, async () => {
      expect((await getOnB()).tenant?.status).toBe(TenantStatus.TENANT_STATUS_ACTIVE);
    });
  });

  it('a tenant created on one replica can log in on the other at once, even after a miss was cached', async () => {
    const miss = await failureOf(b.login('born-later', 'x@born.test', PASSWORD));
    expect(miss.code).toBe(status.UNAUTHENTICATED);
    const { tenant } = await call(
      a.tenancy,
      'createTenant',
      { slug: 'born-later', displayName: 'Born later', plan: '', selfSignUpEnabled: false },
      bearer(admin, freshKey()),
    );
    await seedUser(a.database.appUrl, tenant!.id, {
      email: 'x@born.test',
      password: PASSWORD,
      role: 'member',
    });
    await eventually(1000, async () => {
      expect(await b.login('born-later', 'x@born.test', PASSWORD)).toMatch(/^ey/);
    });
  });
});
