import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';

const PASSWORD = 'platform operator password';

describe('platform operators are decided by the live policy, not the token', () => {
  let t: TestCore;
  let tenantId: string;
  let operatorId: string;
  let operator: string;

  beforeAll(async () => {
    t = await startTestCore();
    const { tenant } = await call(
      t.tenancy,
      'createTenant',
      {
        slug: `operated-${randomUUID().slice(0, 8)}`,
        displayName: 'Operated',
        plan: '',
        selfSignUpEnabled: false,
      },
      bearer(await t.adminToken(), freshKey()),
    );
    tenantId = tenant!.id;
    const email = `operator-${randomUUID()}@platform.test`;
    operatorId = await seedUser(t.database.appUrl, PLATFORM_TENANT_ID, {
      email,
      password: PASSWORD,
      role: 'admin',
    });
    operator = await t.login('platform', email, PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  // ValidateToken only needs an authenticated caller: what decides is the x-tenant-id check.
  const actInTenant = () =>
    call(
      t.identity,
      'validateToken',
      { accessToken: operator },
      bearer(operator, { 'x-tenant-id': tenantId }),
    );

  it('loses the reach into other tenants as soon as the platform admin binding goes', async () => {
    await expect(actInTenant()).resolves.toMatchObject({ active: true });
    await call(
      t.authorization,
      'revokeRole',
      { bindingId: '', subjectId: operatorId, role: 'admin', resource: '' },
      bearer(await t.adminToken()),
    );
    // The token still says "admin" for up to 15 minutes; the engine no longer does.
    const refused = await failureOf(actInTenant());
    expect(refused.code).toBe(status.PERMISSION_DENIED);
    expect(refused.reason).toBe('CROSS_TENANT_FORBIDDEN');
  });
});
