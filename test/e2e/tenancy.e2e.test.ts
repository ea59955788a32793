import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantStatus } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { seedUser } from '../support/seed.js';

const MEMBER_PASSWORD = 'a member password 123';

describe('TenancyService end to end', () => {
  let t: TestCore;
  let admin: string;

  beforeAll(async () => {
    t = await startTestCore();
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await t.close();
  });

  const create = (slug: string, token = admin) =>
    call(
      t.tenancy,
      'createTenant',
      { slug, displayName: `Tenant ${slug}`, plan: '', selfSignUpEnabled: false },
      bearer(token, freshKey()),
    );

  it('creates a tenant as the platform administrator and reads it back by id and slug', async () => {
    const { tenant } = await create('acme');
    expect(tenant).toMatchObject({
      slug: 'acme',
      displayName: 'Tenant acme',
      plan: 'free',
      status: TenantStatus.TENANT_STATUS_ACTIVE,
    });
    const byId = await call(
      t.tenancy,
      'getTenant',
      { lookup: { $case: 'id', value: tenant!.id } },
      bearer(admin),
    );
    const bySlug = await call(
      t.tenancy,
      'getTenant',
      { lookup: { $case: 'slug', value: 'acme' } },
      bearer(admin),
    );
    expect(byId.tenant).toEqual(tenant);
    expect(bySlug.tenant).toEqual(tenant);
  });

  it('refuses a duplicate slug with ALREADY_EXISTS and a stable reason', async () => {
    await create('dup-co');
    const error = await failureOf(create('dup-co'));
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect(error.reason).toBe('TENANT_SLUG_TAKEN');
  });

  it.each([
    ['', 'slug'],
    ['ab', 'slug'],
    ['Upper', 'slug'],
    ['-leading', 'slug'],
    ['trailing-', 'slug'],
    ['a'.repeat(64), 'slug'],
    ['has space', 'slug'],
  ])('refuses the slug %j with INVALID_ARGUMENT naming %s', async (slug, field) => {
    const error = await failureOf(create(slug));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.fieldViolations).toEqual([field]);
  });

  it('refuses an empty or oversized display name naming the field', async () => {
    for (const displayName of ['', '   ', 'x'.repeat(201)]) {
      const error = await failureOf(
        call(
          t.tenancy,
          'createTenant',
          { slug: 'named-co', displayName, plan: '', selfSignUpEnabled: false },
          bearer(admin, freshKey()),
        ),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.fieldViolations).toEqual(['display_name']);
    }
  });

  it('refuses malformed ids, unknown enum values and foreign page tokens', async () => {
    const badId = await failureOf(
      call(t.tenancy, 'getTenant', { lookup: { $case: 'id', value: 'not-a-uuid' } }, bearer(admin)),
    );
    expect(badId.code).toBe(status.INVALID_ARGUMENT);
    expect(badId.fieldViolations).toEqual(['id']);
    const noLookup = await failureOf(
      call(t.tenancy, 'getTenant', { lookup: undefined }, bearer(admin)),
    );
    expect(noLookup.code).toBe(status.INVALID_ARGUMENT);
    const badStatus = await failureOf(
      call(
        t.tenancy,
        'listTenants',
        { page: undefined, status: TenantStatus.UNRECOGNIZED },
        bearer(admin),
      ),
    );
    expect(badStatus.code).toBe(status.INVALID_ARGUMENT);
    expect(badStatus.fieldViolations).toEqual(['status']);
    const badToken = await failureOf(
      call(
        t.tenancy,
        'listTenants',
        {
          page: { pageSize: 1, pageToken: 'garbage!' },
          status: TenantStatus.TENANT_STATUS_UNSPECIFIED,
        },
        bearer(admin),
      ),
    );
    expect(badToken.code).toBe(status.INVALID_ARGUMENT);
    expect(badToken.fieldViolations).toEqual(['page.page_token']);
    const nulCursor = Buffer.from('v1:\u0000', 'utf8').toString('base64url');
    const badCursor = await failureOf(
      call(
        t.tenancy,
        'listTenants',
        {
          page: { pageSize: 1, pageToken: nulCursor },
          status: TenantStatus.TENANT_STATUS_UNSPECIFIED,
        },
        bearer(admin),
      ),
    );
    expect(badCursor.code).toBe(status.INVALID_ARGUMENT);
    expect(badCursor.fieldViolations).toEqual(['page.page_token']);
    const badSize = await failureOf(
      call(
        t.tenancy,
        'listTenants',
        { page: { pageSize: 501, pageToken: '' }, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
        bearer(admin),
      ),
    );
    expect(badSize.fieldViolations).toEqual(['page.page_size']);
  });

  it('answers an unknown tenant id with NOT_FOUND', async () => {
    const error = await failureOf(
      call(
        t.tenancy,
        'getTenant',
        { lookup: { $case: 'id', value: '0190a5e2-0000-7000-8000-000000000000' } },
        bearer(admin),
      ),
    );
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.reason).toBe('TENANT_NOT_FOUND');
  });

  it('lists tenants page by page in slug order', async () => {
    for (const slug of ['page-a', 'page-b', 'page-c']) await create(slug);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await call(
        t.tenancy,
        'listTenants',
        { page: { pageSize: 2, pageToken }, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
        bearer(admin),
      );
      expect(page.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...page.tenants.map((tenant) => tenant.slug));
      pageToken = page.page?.nextPageToken ?? '';
    } while (pageToken !== '');
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c', 'platform']));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('updates display name and plan as platform operator, and reads see it at once', async () => {
    const { tenant } = await create('upd-co');
    const read = () =>
      call(t.tenancy, 'getTenant', { lookup: { $case: 'slug', value: 'upd-co' } }, bearer(admin));
    expect((await read()).tenant?.displayName).toBe('Tenant upd-co');
    const { tenant: updated } = await call(
      t.tenancy,
      'updateTenant',
      { id: tenant!.id, displayName: 'Renamed', plan: 'pro' },
      bearer(admin),
    );
    expect(updated).toMatchObject({ displayName: 'Renamed', plan: 'pro', slug: 'upd-co' });
    expect((await read()).tenant).toEqual(updated);
  });

  describe('as a tenant member', () => {
    let tenantId: string;
    let otherId: string;
    let member: string;

    beforeAll(async () => {
      tenantId = (await create('member-co')).tenant!.id;
      otherId = (await create('other-co')).tenant!.id;
      await seedUser(t.database.appUrl, tenantId, {
        email: 'Mia@Member.test',
        password: MEMBER_PASSWORD,
        role: 'member',
      });
      member = await t.login('member-co', 'mia@member.test', MEMBER_PASSWORD);
    });

    it('reads its own tenant but not another one (NOT_FOUND, existence not revealed)', async () => {
      const own = await call(
        t.tenancy,
        'getTenant',
        { lookup: { $case: 'slug', value: 'member-co' } },
        bearer(member),
      );
      expect(own.tenant?.id).toBe(tenantId);
      const other = await failureOf(
        call(t.tenancy, 'getTenant', { lookup: { $case: 'id', value: otherId } }, bearer(member)),
      );
      expect(other.code).toBe(status.NOT_FOUND);
    });

    it('may not act in another tenant through x-tenant-id', async () => {
      const error = await failureOf(
        call(
          t.tenancy,
          'getTenant',
          { lookup: { $case: 'id', value: otherId } },
          bearer(member, { 'x-tenant-id': otherId }),
        ),
      );
      expect(error.code).toBe(status.PERMISSION_DENIED);
      expect(error.reason).toBe('CROSS_TENANT_FORBIDDEN');
    });

    it('is denied platform operations and writes it lacks the permission for', async () => {
      const createError = await failureOf(create('nope-co', member));
      expect(createError.code).toBe(status.PERMISSION_DENIED);
      const listError = await failureOf(
        call(
          t.tenancy,
          'listTenants',
          { page: undefined, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
          bearer(member),
        ),
      );
      expect(listError.code).toBe(status.PERMISSION_DENIED);
      const updateError = await failureOf(
        call(t.tenancy, 'updateTenant', { id: tenantId, displayName: 'Mine now' }, bearer(member)),
      );
      expect(updateError.code).toBe(status.PERMISSION_DENIED);
      expect(updateError.reason).toBe('PERMISSION_DENIED');
    });

    it('lets a platform operator act inside the tenant with x-tenant-id, confined to it', async () => {
      const scoped = bearer(admin, { 'x-tenant-id': tenantId });
      const own = await call(
        t.tenancy,
        'getTenant',
        { lookup: { $case: 'id', value: tenantId } },
        scoped,
      );
      expect(own.tenant?.slug).toBe('member-co');
      const other = await failureOf(
        call(t.tenancy, 'getTenant', { lookup: { $case: 'id', value: otherId } }, scoped),
      );
      expect(other.code).toBe(status.NOT_FOUND);
    });

    it('suspension stops the tenant tokens and logins at once; reactivation restores them', async () => {
      const { tenant } = await call(
        t.tenancy,
        'suspendTenant',
        { id: tenantId, reason: 'test' },
        bearer(admin),
      );
      expect(tenant?.status).toBe(TenantStatus.TENANT_STATUS_SUSPENDED);
      const tokenError = await failureOf(
        call(t.tenancy, 'getTenant', { lookup: { $case: 'id', value: tenantId } }, bearer(member)),
      );
      expect(tokenError.code).toBe(status.UNAUTHENTICATED);
      const loginError = await failureOf(t.login('member-co', 'mia@member.test', MEMBER_PASSWORD));
      expect(loginError.code).toBe(status.UNAUTHENTICATED);
      expect(loginError.reason).toBe('INVALID_CREDENTIALS');

      await call(t.tenancy, 'reactivateTenant', { id: tenantId }, bearer(admin));
      const again = await call(
        t.tenancy,
        'getTenant',
        { lookup: { $case: 'id', value: tenantId } },
        bearer(member),
      );
      expect(again.tenant?.status).toBe(TenantStatus.TENANT_STATUS_ACTIVE);
    });
  });

  describe('platform principals without platform:admin', () => {
    let platformMember: string;
    let platformAdmin: string;
    let foreignId: string;

    beforeAll(async () => {
      foreignId = (await create('foreign-co')).tenant!.id;
      await seedUser(t.database.appUrl, '00000000-0000-4000-8000-000000000001', {
        email: 'viewer@platform.test',
        password: MEMBER_PASSWORD,
        role: 'member',
      });
      await seedUser(t.database.appUrl, '00000000-0000-4000-8000-000000000001', {
        email: 'operator2@platform.test',
        password: MEMBER_PASSWORD,
        role: 'admin',
      });
      platformMember = await t.login('platform', 'viewer@platform.test', MEMBER_PASSWORD);
      platformAdmin = await t.login('platform', 'operator2@platform.test', MEMBER_PASSWORD);
    });

    it('a platform member cannot reach into other tenants in any way', async () => {
      const read = await failureOf(
        call(
          t.tenancy,
          'getTenant',
          { lookup: { $case: 'id', value: foreignId } },
          bearer(platformMember),
        ),
      );
      expect(read.code).toBe(status.NOT_FOUND);
      const acting = await failureOf(
        call(
          t.tenancy,
          'getTenant',
          { lookup: { $case: 'id', value: foreignId } },
          bearer(platformMember, { 'x-tenant-id': foreignId }),
        ),
      );
      expect(acting.code).toBe(status.PERMISSION_DENIED);
      const own = await call(
        t.tenancy,
        'getTenant',
        { lookup: { $case: 'slug', value: 'platform' } },
        bearer(platformMember),
      );
      expect(own.tenant?.slug).toBe('platform');
    });

    it('a platform admin operates tenants, plans included', async () => {
      const { tenant } = await call(
        t.tenancy,
        'updateTenant',
        { id: foreignId, plan: 'enterprise' },
        bearer(platformAdmin),
      );
      expect(tenant?.plan).toBe('enterprise');
    });
  });

  it('refuses to suspend the platform tenant', async () => {
    const error = await failureOf(
      call(
        t.tenancy,
        'suspendTenant',
        { id: '00000000-0000-4000-8000-000000000001', reason: '' },
        bearer(admin),
      ),
    );
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.reason).toBe('PLATFORM_TENANT_PROTECTED');
  });
});
