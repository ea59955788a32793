import { beforeEach, describe, expect, it } from 'vitest';

import { Sha256ClientSecrets } from '../../../src/adapters/outbound/crypto/sha256-client-secrets.js';
import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import { inMemoryLoginThrottle } from '../../../src/adapters/outbound/memory/in-memory-login-throttle.js';
import { InMemoryTenantDirectory } from '../../../src/adapters/outbound/memory/in-memory-tenant-directory.js';
import { InMemoryUnitOfWork } from '../../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../../src/adapters/outbound/memory/memory-database.js';
import {
  ServiceAccountCreator,
  ServiceAccountDeleter,
  ServiceAccountLister,
  ServiceAccountSecretRotator,
  ServiceTokenIssuer,
  SigningKeyRotator,
} from '../../../src/application/identity/service-accounts.js';
import { SigningKeyRotationSchedule } from '../../../src/application/identity/signing-key-rotation-schedule.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import { TENANT_SCOPE } from '../../../src/domain/authorization/role.js';
import { systemRolesFor } from '../../../src/domain/authorization/system-roles.js';
import type { AccessTokenClaims } from '../../../src/domain/identity/access-token.port.js';
import { formatClientId, tenantOfClientId } from '../../../src/domain/identity/service-account.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../../mothers/tenant.mother.js';
import type { JoinedTransactions } from '../../../src/domain/shared/request-transactions.port.js';
import { InMemoryRequestTransactions } from '../../../src/adapters/outbound/memory/in-memory-request-transactions.js';

const CONTEXT = { ip: '203.0.113.9', requestId: 'req-sa' };
const OVERLAP_SECONDS = 60;

let nowMs: number;
const clock = { now: () => new Date(nowMs) };
let next: number;
const ids = { newId: () => `0f000000-0000-4000-8000-${String((next += 1)).padStart(12, '0')}` };
let audit: InMemoryAuditLog;
let issued: AccessTokenClaims[];
let uow: InMemoryUnitOfWork;
let create: ServiceAccountCreator;
let list: ServiceAccountLister;
let issue: ServiceTokenIssuer;
let rotate: ServiceAccountSecretRotator;
let remove: ServiceAccountDeleter;

/** One caller per system role; `beforeEach` binds it to that role in every tenant. */
const SUBJECT_OF: Readonly<Record<string, string>> = {
  owner: '0a100000-0000-4000-8000-000000000001',
  admin: '0a100000-0000-4000-8000-000000000002',
  member: '0a100000-0000-4000-8000-000000000003',
};
const actorWith = (roles: string[], tenantId = TENANT_A_ID, home = tenantId): Actor => ({
  tenantId,
  principal: {
    subjectId: SUBJECT_OF[roles[0] ?? 'member'] ?? '0a100000-0000-4000-8000-000000000009',
    tenantId: home,
    kind: 'user',
    roles,
    sessionId: undefined,
    expiresAt: new Date(nowMs + 60_000),
  },
});
const owner = actorWith(['owner']);
const admin = actorWith(['admin']);

beforeEach(async () => {
  nowMs = Date.UTC(2025, 2, 1);
  next = 0;
  const database = new MemoryDatabase();
  uow = new InMemoryUnitOfWork(database);
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  for (const tenantId of [TENANT_A_ID, TENANT_B_ID, PLATFORM_TENANT_ID]) {
    await uow.inTenant(tenantId, async ({ roles }) => {
      const systemRoles = systemRolesFor(tenantId, ids.newId, clock.now());
      await roles.insertRoles(systemRoles);
      for (const role of systemRoles) {
        const subjectId = SUBJECT_OF[role.name];
        if (subjectId === undefined) continue;
        await roles.insertBinding({
          tenantId,
          id: ids.newId(),
          subjectId,
          subjectKind: 'user',
          roleId: role.id,
          scope: TENANT_SCOPE,
          expiresAt: undefined,
          createdAt: clock.now(),
        });
      }
    });
  }
  audit = new InMemoryAuditLog();
  issued = [];
  const secrets = new Sha256ClientSecrets();
  const transactions = new InMemoryRequestTransactions();
  create = new ServiceAccountCreator(uow, secrets, clock, ids, audit, transactions);
  list = new ServiceAccountLister(uow);
  issue = new ServiceTokenIssuer(
    new InMemoryTenantDirectory(database),
    uow,
    secrets,
    {
      issue: (claims) => {
        issued.push(claims);
        return Promise.resolve({ token: `token-${claims.subjectId}`, expiresAt: clock.now() });
      },
    },
    clock,
    inMemoryLoginThrottle({
      maxFailures: 3,
      lockSeconds: 60,
      maxFailuresPerIp: 100,
      ipWindowSeconds: 60,
    }),
    audit,
    ids,
  );
  rotate = new ServiceAccountSecretRotator(
    uow,
    secrets,
    clock,
    ids,
    audit,
    OVERLAP_SECONDS,
    transactions,
  );
  remove = new ServiceAccountDeleter(uow, clock, ids, audit, transactions);
});

const actions = async (tenantId: string): Promise<string[]> =>
  (await audit.list(tenantId, 100)).map((event) => `${event.action}:${event.outcome}`);

describe('client ids', () => {
  it('embed the tenant and give it back; anything else names no tenant', () => {
    const clientId = formatClientId(TENANT_A_ID, 'abcdefghijklmnopqrstuv');
    expect(clientId).toBe(`sa_${TENANT_A_ID.replaceAll('-', '')}_abcdefghijklmnopqrstuv`);
    expect(tenantOfClientId(clientId)).toBe(TENANT_A_ID);
    for (const bad of ['', 'sa_', `sa_${'g'.repeat(32)}_abcdefghijklmnop`, `${clientId}!`]) {
      expect(tenantOfClientId(bad)).toBeUndefined();
    }
  });
});

describe('ServiceAccountCreator', () => {
  it('creates an account bound to its roles, with a secret stored only as a digest', async () => {
    const { view, clientSecret } = await create.run(
      owner,
      { name: ' reporting ', description: 'd', roles: ['member', 'admin', 'admin'] },
      CONTEXT,
    );
    expect(view.account).toMatchObject({ tenantId: TENANT_A_ID, name: 'reporting' });
    expect(view.roles).toEqual(['admin', 'member']);
    expect(tenantOfClientId(view.account.clientId)).toBe(TENANT_A_ID);
    expect(clientSecret).toHaveLength(4 + 43);
    expect(view.account.secretHash).not.toContain(clientSecret);
    expect(view.account.secretHash).toMatch(/^[0-9a-f]{64}$/);
    const page = await list.run(owner, { pageSize: 0, after: undefined });
    expect(page.items.map((v) => [v.account.id, v.roles])).toEqual([
      [view.account.id, ['admin', 'member']],
    ]);
    expect(await actions(TENANT_A_ID)).toEqual(['service_account.created:success']);
  });

  it('refuses roles beyond the caller: an admin cannot create an owner account', async () => {
    await expect(
      create.run(admin, { name: 'root', description: '', roles: ['owner'] }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(
      create.run(actorWith(['member']), { name: 'x', description: '', roles: ['admin'] }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(
      create.run(admin, { name: 'ok', description: '', roles: ['admin', 'member'] }),
    ).resolves.toBeDefined();
    // In the platform tenant an admin cannot mint owners (platform:*) either.
    await expect(
      create.run(actorWith(['admin'], PLATFORM_TENANT_ID), {
        name: 'p',
        description: '',
        roles: ['owner'],
      }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('ranks the caller by its roles as bound now, not by the token claim', async () => {
    // A token minted while this user was owner; the user is only an admin now.
    const demoted = actorWith(['admin']);
    const stale: Actor = { ...demoted, principal: { ...demoted.principal, roles: ['owner'] } };
    await expect(
      create.run(stale, { name: 'root', description: '', roles: ['owner'] }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('validates name, description and roles', async () => {
    for (const [input, field] of [
      [{ name: '', description: '', roles: ['member'] }, 'name'],
      [{ name: 'n'.repeat(101), description: '', roles: ['member'] }, 'name'],
      [{ name: 'n', description: 'd'.repeat(1001), roles: ['member'] }, 'description'],
      [{ name: 'n', description: '', roles: [] }, 'roles'],
      [{ name: 'n', description: '', roles: ['root'] }, 'roles'],
    ] as const) {
      await expect(create.run(owner, { ...input, roles: [...input.roles] })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        metadata: { field },
      });
    }
    await create.run(owner, { name: 'twin', description: '', roles: ['member'] });
    await expect(
      create.run(owner, { name: 'twin', description: '', roles: ['member'] }),
    ).rejects.toMatchObject({ code: 'SERVICE_ACCOUNT_NAME_TAKEN' });
  });
});

describe('ServiceTokenIssuer', () => {
  it('issues a service token with the bound roles and audits it in the tenant', async () => {
    const { view, clientSecret } = await create.run(owner, {
      name: 'w',
      description: '',
      roles: ['admin'],
    });
    await issue.run({ clientId: view.account.clientId, clientSecret }, CONTEXT);
    expect(issued).toEqual([
      {
        subjectId: view.account.id,
        tenantId: TENANT_A_ID,
        kind: 'service',
        roles: ['admin'],
        sessionId: undefined,
        amr: [],
      },
    ]);
    expect(await actions(TENANT_A_ID)).toContain('auth.service_token.issued:success');
  });

  it('answers the same INVALID_CLIENT for wrong secret, unknown client, other tenant and deleted account', async () => {
    const { view, clientSecret } = await create.run(owner, {
      name: 'w',
      description: '',
      roles: ['member'],
    });
    const clientId = view.account.clientId;
    const attempts = [
      { clientId, clientSecret: `${clientSecret}x` },
      { clientId: formatClientId(TENANT_B_ID, 'A'.repeat(22)), clientSecret },
      {
        clientId: formatClientId('00000000-0000-4000-8000-000000000000', 'A'.repeat(22)),
        clientSecret,
      },
      { clientId: 'garbage', clientSecret },
      // The right secret under the same random part but another tenant's prefix.
      {
        clientId: clientId.replace(
          TENANT_A_ID.replaceAll('-', ''),
          TENANT_B_ID.replaceAll('-', ''),
        ),
        clientSecret,
      },
    ];
    for (const attempt of attempts) {
      await expect(issue.run(attempt, { ip: `198.51.100.${String(next)}` })).rejects.toMatchObject({
        code: 'INVALID_CLIENT',
        message: 'invalid client credentials',
      });
    }
    await remove.run(owner, view.account.id);
    await expect(issue.run({ clientId, clientSecret })).rejects.toMatchObject({
      code: 'INVALID_CLIENT',
    });
    expect(issued).toEqual([]);
    expect(await actions(TENANT_A_ID)).toContain('auth.service_token.failed:failure');
    expect(await actions(PLATFORM_TENANT_ID)).toContain('auth.service_token.failed:failure');
  });

  it('locks a client after repeated failures, even for the right secret', async () => {
    const { view, clientSecret } = await create.run(owner, {
      name: 'w',
      description: '',
      roles: ['member'],
    });
    const clientId = view.account.clientId;
    for (let i = 0; i < 3; i += 1) {
      await expect(issue.run({ clientId, clientSecret: 'wrong' })).rejects.toMatchObject({
        code: 'INVALID_CLIENT',
      });
    }
    await expect(issue.run({ clientId, clientSecret })).rejects.toMatchObject({
      code: 'TOO_MANY_LOGIN_ATTEMPTS',
    });
    expect(await actions(TENANT_A_ID)).toContain('auth.service_token.failed:denied');
  });
});

describe('ServiceAccountSecretRotator and ServiceAccountDeleter', () => {
  it('keeps the previous secret for the overlap only', async () => {
    const { view, clientSecret: first } = await create.run(owner, {
      name: 'w',
      description: '',
      roles: ['member'],
    });
    const clientId = view.account.clientId;
    const rotated = await rotate.run(owner, view.account.id);
    expect(rotated.previousSecretExpiresAt).toEqual(new Date(nowMs + OVERLAP_SECONDS * 1000));
    await issue.run({ clientId, clientSecret: first });
    await issue.run({ clientId, clientSecret: rotated.clientSecret });
    nowMs += OVERLAP_SECONDS * 1000;
    await expect(issue.run({ clientId, clientSecret: first })).rejects.toMatchObject({
      code: 'INVALID_CLIENT',
    });
    await issue.run({ clientId, clientSecret: rotated.clientSecret });
  });

  it('finds no account of another tenant, nor a deleted one', async () => {
    const { view } = await create.run(owner, { name: 'w', description: '', roles: ['member'] });
    const foreign = actorWith(['owner'], TENANT_B_ID);
    await expect(rotate.run(foreign, view.account.id)).rejects.toMatchObject({
      code: 'SERVICE_ACCOUNT_NOT_FOUND',
    });
    await expect(remove.run(foreign, view.account.id)).rejects.toMatchObject({
      code: 'SERVICE_ACCOUNT_NOT_FOUND',
    });
    await remove.run(owner, view.account.id, CONTEXT);
    await expect(remove.run(owner, view.account.id)).rejects.toMatchObject({
      code: 'SERVICE_ACCOUNT_NOT_FOUND',
    });
    await expect(rotate.run(owner, view.account.id)).rejects.toMatchObject({
      code: 'SERVICE_ACCOUNT_NOT_FOUND',
    });
    expect((await list.run(owner, { pageSize: 0, after: undefined })).items).toEqual([]);
    expect(await actions(TENANT_A_ID)).toContain('service_account.deleted:success');
  });
});

describe('SigningKeyRotator and its schedule', () => {
  it('rotates and audits auth.signing_key.rotated in the operator tenant', async () => {
    // Both the key's writes and the event happen inside the one transaction.
    let inside = false;
    const seen: string[] = [];
    const inner = new InMemoryRequestTransactions();
    const transactions: JoinedTransactions = {
      joinsRunningTransaction: true,
      idle: () => false,
      run: async (tenantId, work, beforeCommit) => {
        inside = true;
        try {
          return await inner.run(tenantId, work, beforeCommit);
        } finally {
          inside = false;
        }
      },
    };
    const recordingAudit = Object.assign(Object.create(audit) as InMemoryAuditLog, {
      append: (events: Parameters<InMemoryAuditLog['append']>[0]) => {
        seen.push(`event inside: ${String(inside)}`);
        return audit.append(events);
      },
    });
    const rotator = new SigningKeyRotator(
      {
        rotate: () => {
          seen.push(`key inside: ${String(inside)}`);
          return Promise.resolve('kid-2');
        },
      },
      clock,
      ids,
      recordingAudit,
      transactions,
    );
    expect(await rotator.run(actorWith(['admin'], PLATFORM_TENANT_ID), CONTEXT)).toBe('kid-2');
    expect(seen).toEqual(['key inside: true', 'event inside: true']);
    const [event] = await audit.list(PLATFORM_TENANT_ID, 10);
    expect(event).toMatchObject({
      action: 'auth.signing_key.rotated',
      target: { type: 'signing_key', id: 'kid-2' },
    });
  });

  it('checks at start with the configured age, and reports failures instead of throwing', async () => {
    const seen: number[] = [];
    const rotated: string[] = [];
    const errors: unknown[] = [];
    const schedule = new SigningKeyRotationSchedule(
      {
        rotateIfOlderThan: (maxAgeMs) => {
          seen.push(maxAgeMs);
          return seen.length === 1 ? Promise.resolve('kid-9') : Promise.reject(new Error('db'));
        },
      },
      30,
      (kid) => rotated.push(kid),
      (error) => errors.push(error),
    );
    await schedule.start(5);
    expect(seen).toEqual([30 * 86_400_000]);
    expect(rotated).toEqual(['kid-9']);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await schedule.stop();
    expect(errors.length).toBeGreaterThan(0);
  });
});
