import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';
import { eventually } from '../support/eventually.js';

const PASSWORD = 'authorization replica password';

// A minute-long staleness bound: only the broadcast can bring the change within a second.
const NO_REVALIDATION = { AUTHZ_POLICY_MAX_STALENESS_MS: '60000' };
const transports: { name: string; env: Record<string, string>; enabled: boolean }[] = [
  { name: 'Postgres LISTEN/NOTIFY', env: NO_REVALIDATION, enabled: true },
  {
    name: 'Redis pub/sub',
    env: { ...NO_REVALIDATION, REDIS_URL: inject('redisUrl') },
    enabled: inject('redisAvailable'),
  },
];

describe.each(transports)(
  'policy changes reach the other replica over $name',
  ({ env, enabled }) => {
    let a: TestCore;
    let b: TestCore;
    let owner: string;
    let memberId: string;
    let memberOnB: string;

    beforeAll(async () => {
      if (!enabled) return;
      a = await startTestCore(env);
      b = await startTestCore(env, { replicaOf: a });
      const { tenant } = await call(
        a.tenancy,
        'createTenant',
        { slug: 'authz-replicas', displayName: 'Replicas', plan: '', selfSignUpEnabled: false },
        bearer(await a.adminToken(), freshKey()),
      );
      const tenantId = tenant!.id;
      await seedUser(a.database.appUrl, tenantId, {
        email: 'owner@replicas.test',
        password: PASSWORD,
        role: 'owner',
      });
      memberId = await seedUser(a.database.appUrl, tenantId, {
        email: 'member@replicas.test',
        password: PASSWORD,
        role: 'member',
      });
      owner = await a.login('authz-replicas', 'owner@replicas.test', PASSWORD);
      memberOnB = await b.login('authz-replicas', 'member@replicas.test', PASSWORD);
    });
    afterAll(async () => {
      if (!enabled) return;
      await b.close();
      await a.close();
    });

    it.runIf(enabled)(
      'grant, role change and revocation are each seen on B within a second',
      async () => {
        const listUsersOnB = () =>
          call(b.identity, 'listUsers', { page: undefined }, bearer(memberOnB));
        // B has compiled the member's policy (cached) before any change.
        expect((await failureOf(listUsersOnB())).code).toBe(status.PERMISSION_DENIED);
        await call(
          a.authorization,
          'createRole',
          { name: 'auditor', description: '', permissions: ['audit:read'], inherits: [] },
          bearer(owner),
        );
        const { binding } = await call(
          a.authorization,
          'assignRole',
          { subjectId: memberId, role: 'auditor', resource: '', expireTime: undefined },
          bearer(owner),
        );
        expect((await failureOf(listUsersOnB())).code).toBe(status.PERMISSION_DENIED);

        // A role change (not a binding change) is a policy change too.
        await call(
          a.authorization,
          'updateRole',
          {
            role: 'auditor',
            description: '',
            permissions: ['audit:read', 'users:read'],
            inherits: [],
          },
          bearer(owner, freshKey()),
        );
        const granted = await eventually(1_000, async () => {
          expect((await listUsersOnB()).users.length).toBeGreaterThan(0);
        });
        expect(granted).toBeLessThan(1_000);

        await call(
          a.authorization,
          'revokeRole',
          { bindingId: binding!.id, subjectId: '', role: '', resource: '' },
          bearer(owner, freshKey()),
        );
        const revoked = await eventually(1_000, async () => {
          expect((await failureOf(listUsersOnB())).code).toBe(status.PERMISSION_DENIED);
        });
        expect(revoked).toBeLessThan(1_000);
      },
    );
  },
);
