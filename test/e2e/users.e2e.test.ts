import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type User,
  UserStatus,
} from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';

const PASSWORD = 'a sturdy passphrase 2025';

describe('IdentityService user management end to end', () => {
  let t: TestCore;
  let platformAdmin: string;
  /** Tenant "people": self sign-up off. */
  let peopleId: string;
  let owner: string;
  let ownerId: string;
  let member: string;
  let memberId: string;
  /** Tenant "open-co": self sign-up on. */
  let openId: string;
  let openOwner: string;

  const createTenant = async (slug: string, selfSignUpEnabled: boolean): Promise<string> => {
    const { tenant } = await call(
      t.tenancy,
      'createTenant',
      { slug, displayName: `Tenant ${slug}`, plan: '', selfSignUpEnabled },
      bearer(platformAdmin, freshKey()),
    );
    return tenant!.id;
  };

  const register = (
    token: string | undefined,
    fields: { email: string; password?: string; displayName?: string; tenantSlug?: string },
  ) =>
    call(
      t.identity,
      'registerUser',
      {
        tenantSlug: fields.tenantSlug ?? '',
        email: fields.email,
        password: fields.password ?? PASSWORD,
        displayName: fields.displayName ?? '',
      },
      token === undefined ? undefined : bearer(token),
    );

  const listAll = async (token: string, pageSize: number): Promise<User[][]> => {
    const pages: User[][] = [];
    let pageToken = '';
    do {
      const response = await call(
        t.identity,
        'listUsers',
        { page: { pageSize, pageToken } },
        bearer(token),
      );
      pages.push(response.users);
      pageToken = response.page?.nextPageToken ?? '';
    } while (pageToken !== '' && pages.length < 50);
    return pages;
  };

  beforeAll(async () => {
    t = await startTestCore();
    platformAdmin = await t.adminToken();
    peopleId = await createTenant('people', false);
    openId = await createTenant('open-co', true);
    const appUrl = t.env.DATABASE_URL!;
    ownerId = await seedUser(appUrl, peopleId, {
      email: 'owner@people.test',
      password: PASSWORD,
      role: 'owner',
    });
    memberId = await seedUser(appUrl, peopleId, {
      email: 'member@people.test',
      password: PASSWORD,
      role: 'member',
    });
    await seedUser(appUrl, openId, { email: 'owner@open.test', password: PASSWORD, role: 'admin' });
    owner = await t.login('people', 'owner@people.test', PASSWORD);
    member = await t.login('people', 'member@people.test', PASSWORD);
    openOwner = await t.login('open-co', 'owner@open.test', PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets an owner register users, list them oldest first page by page, and get each one', async () => {
    const registered: User[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const { user } = await register(owner, {
        email: `Person.${String(n)}@People.test`,
        displayName: n === 1 ? '' : `Person ${String(n)}`,
      });
      registered.push(user!);
    }
    expect(registered[0]).toMatchObject({
      tenantId: peopleId,
      email: 'Person.1@People.test',
      displayName: 'Person.1@People.test',
      status: UserStatus.USER_STATUS_ACTIVE,
      emailVerified: false,
      lastLoginTime: undefined,
    });
    expect(registered[1]?.displayName).toBe('Person 2');

    const pages = await listAll(owner, 2);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    const listed = pages.flat();
    const key = (user: User): string => `${user.createTime!.toISOString()}_${user.id}`;
    expect(listed.map(key)).toEqual(listed.map(key).sort());
    expect(
      listed
        .slice(0, 2)
        .map((user) => user.id)
        .sort(),
    ).toEqual([ownerId, memberId].sort());
    expect(listed.slice(2)).toEqual(registered);
    // Stable: the same pages again, and one big page agrees.
    expect(await listAll(owner, 2)).toEqual(pages);
    expect((await listAll(owner, 0)).flat()).toEqual(listed);

    for (const user of registered) {
      const found = await call(t.identity, 'getUser', { id: user.id }, bearer(owner));
      expect(found.user).toEqual(user);
    }
    // New users are members: they can log in and read themselves, not list others.
    const token = await t.login('people', 'person.3@people.test', PASSWORD);
    const me = await call(t.identity, 'getCurrentUser', {}, bearer(token));
    expect(me.user?.id).toBe(registered[2]?.id);
    expect(me.user?.lastLoginTime).toBeInstanceOf(Date);
    const denied = await failureOf(
      call(t.identity, 'listUsers', { page: undefined }, bearer(token)),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
  });

  it('refuses a second user with the same email (any case) with ALREADY_EXISTS', async () => {
    await register(owner, { email: 'dup@people.test' });
    const error = await failureOf(register(owner, { email: 'DUP@People.Test' }));
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect(error.reason).toBe('USER_EMAIL_TAKEN');
  });

  it('lets a member read itself but neither register nor list users', async () => {
    const me = await call(t.identity, 'getCurrentUser', {}, bearer(member));
    expect(me.user).toMatchObject({
      id: memberId,
      email: 'member@people.test',
      tenantId: peopleId,
    });
    const registering = await failureOf(register(member, { email: 'sneaky@people.test' }));
    expect(registering.code).toBe(status.PERMISSION_DENIED);
    const listing = await failureOf(
      call(t.identity, 'listUsers', { page: undefined }, bearer(member)),
    );
    expect(listing.code).toBe(status.PERMISSION_DENIED);
    const getting = await failureOf(call(t.identity, 'getUser', { id: ownerId }, bearer(member)));
    expect(getting.code).toBe(status.PERMISSION_DENIED);
    const disabling = await failureOf(
      call(t.identity, 'disableUser', { id: ownerId }, bearer(member)),
    );
    expect(disabling.code).toBe(status.PERMISSION_DENIED);
    const anonymous = await failureOf(call(t.identity, 'getCurrentUser', {}));
    expect(anonymous.code).toBe(status.UNAUTHENTICATED);
  });

  it("answers another tenant's user exactly like a missing one: NOT_FOUND", async () => {
    const missing = await failureOf(
      call(
        t.identity,
        'getUser',
        { id: '0f000000-0000-4000-8000-00000000000f' },
        bearer(openOwner),
      ),
    );
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.reason).toBe('USER_NOT_FOUND');
    for (const method of ['getUser', 'disableUser'] as const) {
      const foreign = await failureOf(call(t.identity, method, { id: ownerId }, bearer(openOwner)));
      expect(foreign).toMatchObject({
        code: missing.code,
        reason: missing.reason,
        message: missing.message,
      });
    }
    const listed = (await listAll(openOwner, 0)).flat();
    expect(listed.map((user) => user.tenantId)).not.toContain(peopleId);
    // The owner of "people" is still active.
    expect((await call(t.identity, 'getUser', { id: ownerId }, bearer(owner))).user?.status).toBe(
      UserStatus.USER_STATUS_ACTIVE,
    );
  });

  it('lets anyone sign up to a tenant with self sign-up, and only there', async () => {
    const { user } = await register(undefined, {
      tenantSlug: 'open-co',
      email: 'newcomer@open.test',
      displayName: 'Newcomer',
    });
    expect(user).toMatchObject({ tenantId: openId, status: UserStatus.USER_STATUS_ACTIVE });
    const token = await t.login('open-co', 'newcomer@open.test', PASSWORD);
    const me = await call(t.identity, 'getCurrentUser', {}, bearer(token));
    expect(me.user?.id).toBe(user?.id);
    // A self-registered user is a member, not an administrator.
    const listing = await failureOf(
      call(t.identity, 'listUsers', { page: undefined }, bearer(token)),
    );
    expect(listing.code).toBe(status.PERMISSION_DENIED);

    const closed = await failureOf(
      register(undefined, { tenantSlug: 'people', email: 'walk-in@people.test' }),
    );
    const unknown = await failureOf(
      register(undefined, { tenantSlug: 'no-such-co', email: 'walk-in@people.test' }),
    );
    expect(closed.code).toBe(status.PERMISSION_DENIED);
    expect(closed.reason).toBe('SELF_SIGN_UP_DISABLED');
    expect(unknown).toMatchObject({
      code: closed.code,
      reason: closed.reason,
      message: closed.message,
      fieldViolations: closed.fieldViolations,
    });
    const noSlug = await failureOf(register(undefined, { email: 'walk-in@people.test' }));
    expect(noSlug.code).toBe(status.INVALID_ARGUMENT);
    expect(noSlug.fieldViolations).toEqual(['tenant_slug']);
  });

  it('refuses self sign-up to a suspended tenant with the same error', async () => {
    const slug = 'paused-co';
    const id = await createTenant(slug, true);
    await call(
      t.tenancy,
      'suspendTenant',
      { id, reason: 'paused for the test' },
      bearer(platformAdmin, freshKey()),
    );
    const error = await failureOf(
      register(undefined, { tenantSlug: slug, email: 'late@paused.test' }),
    );
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(error.reason).toBe('SELF_SIGN_UP_DISABLED');
  });

  it('refuses a tenant slug from an authenticated caller (they register where they act)', async () => {
    const error = await failureOf(
      register(owner, { tenantSlug: 'open-co', email: 'elsewhere@people.test' }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.fieldViolations).toEqual(['tenant_slug']);
  });

  it('disables a user, idempotently: it can no longer log in; nobody disables themselves', async () => {
    const { user } = await register(owner, { email: 'leaver@people.test' });
    await t.login('people', 'leaver@people.test', PASSWORD);
    const first = await call(t.identity, 'disableUser', { id: user!.id }, bearer(owner));
    expect(first.user).toEqual({
      ...user,
      status: UserStatus.USER_STATUS_DISABLED,
      lastLoginTime: first.user?.lastLoginTime,
    });
    const again = await call(t.identity, 'disableUser', { id: user!.id }, bearer(owner));
    expect(again.user).toEqual(first.user);
    const login = await failureOf(t.login('people', 'leaver@people.test', PASSWORD));
    expect(login.code).toBe(status.UNAUTHENTICATED);
    expect(login.reason).toBe('INVALID_CREDENTIALS');
    const got = await call(t.identity, 'getUser', { id: user!.id }, bearer(owner));
    expect(got.user?.status).toBe(UserStatus.USER_STATUS_DISABLED);

    const self = await failureOf(call(t.identity, 'disableUser', { id: ownerId }, bearer(owner)));
    expect(self.code).toBe(status.FAILED_PRECONDITION);
    expect(self.reason).toBe('CANNOT_DISABLE_SELF');
  });

  it.each([
    ['email', { email: '' }],
    ['email', { email: 'not-an-email' }],
    ['email', { email: 'a@b' }],
    ['email', { email: 'two words@people.test' }],
    ['password', { email: 'p1@people.test', password: '' }],
    ['password', { email: 'p2@people.test', password: 'short pw' }],
    ['password', { email: 'p3@people.test', password: 'Password1234' }],
    ['password', { email: 'p4@people.test', password: 'x'.repeat(129) }],
    ['display_name', { email: 'p5@people.test', displayName: 'x'.repeat(201) }],
    ['display_name', { email: 'p6@people.test', displayName: 'tab\there' }],
  ])('refuses a bad %s with INVALID_ARGUMENT naming the field (%#)', async (field, fields) => {
    const error = await failureOf(register(owner, fields));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.fieldViolations).toEqual([field]);
  });

  it('answers huge strings with INVALID_ARGUMENT, never INTERNAL', async () => {
    const huge = 'x'.repeat(500_000);
    const cases: [string, () => Promise<unknown>][] = [
      ['email', () => register(owner, { email: `${huge}@people.test` })],
      ['password', () => register(owner, { email: 'h1@people.test', password: huge })],
      ['display_name', () => register(owner, { email: 'h2@people.test', displayName: huge })],
      ['tenant_slug', () => register(undefined, { tenantSlug: huge, email: 'h3@people.test' })],
      ['id', () => call(t.identity, 'getUser', { id: huge }, bearer(owner))],
      ['id', () => call(t.identity, 'disableUser', { id: huge }, bearer(owner))],
      [
        'page.page_token',
        () =>
          call(t.identity, 'listUsers', { page: { pageSize: 1, pageToken: huge } }, bearer(owner)),
      ],
    ];
    for (const [field, attempt] of cases) {
      const error = await failureOf(attempt());
      expect(error.code, field).toBe(status.INVALID_ARGUMENT);
      expect(error.fieldViolations, field).toEqual([field]);
    }
  });

  it('refuses page tokens this server did not make, and bad page sizes', async () => {
    const foreign = [
      'garbage!',
      Buffer.from('v1:acme', 'utf8').toString('base64url'),
      Buffer.from('v1:2025-01-01T00:00:00.000Z_nope', 'utf8').toString('base64url'),
    ];
    for (const pageToken of foreign) {
      const error = await failureOf(
        call(t.identity, 'listUsers', { page: { pageSize: 1, pageToken } }, bearer(owner)),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.fieldViolations).toEqual(['page.page_token']);
    }
    const badSize = await failureOf(
      call(t.identity, 'listUsers', { page: { pageSize: 501, pageToken: '' } }, bearer(owner)),
    );
    expect(badSize.code).toBe(status.INVALID_ARGUMENT);
    expect(badSize.fieldViolations).toEqual(['page.page_size']);
  });
});
