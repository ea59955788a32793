import { describe, expect, it } from 'vitest';

import { InProcessSessionRevocations } from '../../../src/adapters/outbound/memory/in-process-session-revocations.js';
import { SubjectCache } from '../../../src/adapters/outbound/memory/subject-cache.js';
import { SubjectChangesFeed } from '../../../src/adapters/outbound/shared/subject-changes-feed.js';
import { TokenAuthenticator } from '../../../src/application/identity/authenticate-token.js';
import type { Principal } from '../../../src/domain/identity/principal.js';
import type { User } from '../../../src/domain/identity/user.js';
import { aUser, USER_ID } from '../../mothers/user.mother.js';

const TENANT = '0a000000-0000-4000-8000-00000000000a';
const ACCOUNT = '0d000000-0000-4000-8000-00000000000d';

function setup(options: { maxEntries?: number } = {}) {
  let now = 1_000_000;
  let user: User | undefined = aUser({ tenantId: TENANT, id: USER_ID });
  let accountExists = true;
  let reads = 0;
  let gate: Promise<void> | undefined;
  const feed = new InProcessSessionRevocations();
  const changes = new SubjectChangesFeed(feed);
  const cache = new SubjectCache(
    {
      byId: async () => {
        reads++;
        const seen = user;
        await gate;
        return seen;
      },
      serviceAccountExists: async () => {
        reads++;
        await gate;
        return accountExists;
      },
    },
    { now: () => new Date(now) },
    { ttlMs: 30_000, ...options },
  ).listenTo(changes);
  return {
    cache,
    changes,
    feed,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
    setUser: (next: User | undefined) => {
      user = next;
    },
    deleteAccount: () => {
      accountExists = false;
    },
    hold: () => {
      let release = (): void => undefined;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe('SubjectCache', () => {
  it('reads a user once per TTL; known answers are plain booleans', async () => {
    const t = setup();
    expect(await t.cache.isActive(TENANT, 'user', USER_ID)).toBe(true);
    expect(t.cache.isActive(TENANT, 'user', USER_ID)).toBe(true);
    expect((await t.cache.byId(TENANT, USER_ID))?.id).toBe(USER_ID);
    expect(t.reads()).toBe(1);
    t.advance(30_001);
    await t.cache.byId(TENANT, USER_ID);
    expect(t.reads()).toBe(2);
  });

  it('a change announcement drops the entry at once: a disabled user is inactive on the next call', async () => {
    const t = setup();
    expect(await t.cache.isActive(TENANT, 'user', USER_ID)).toBe(true);
    t.setUser(aUser({ tenantId: TENANT, id: USER_ID, status: 'disabled' }));
    t.changes.changed([{ tenantId: TENANT, subjectId: USER_ID }]);
    expect(await t.cache.isActive(TENANT, 'user', USER_ID)).toBe(false);
    expect(t.cache.isActive(TENANT, 'user', USER_ID)).toBe(false);
  });

  it('a deleted service account is inactive once announced; a reset drops everything', async () => {
    const t = setup();
    expect(await t.cache.isActive(TENANT, 'service', ACCOUNT)).toBe(true);
    t.deleteAccount();
    expect(t.cache.isActive(TENANT, 'service', ACCOUNT)).toBe(true);
    t.feed.reset();
    expect(await t.cache.isActive(TENANT, 'service', ACCOUNT)).toBe(false);
  });

  it('a read in flight when a change lands answers once but is not kept', async () => {
    const t = setup();
    const release = t.hold();
    const stale = t.cache.byId(TENANT, USER_ID);
    t.setUser(aUser({ tenantId: TENANT, id: USER_ID, displayName: 'Renamed' }));
    t.changes.changed([{ tenantId: TENANT, subjectId: USER_ID }]);
    release();
    expect((await stale)?.displayName).not.toBe('Renamed');
    expect((await t.cache.byId(TENANT, USER_ID))?.displayName).toBe('Renamed');
  });

  it('a call after the change announcement does not join the read already in flight', async () => {
    // A source whose reads settle only when the test says so, each with the state it saw.
    const reads: { seen: User; settle: () => void }[] = [];
    let current = aUser({ tenantId: TENANT, id: USER_ID });
    const changes = new SubjectChangesFeed(new InProcessSessionRevocations());
    const cache = new SubjectCache(
      {
        byId: (): Promise<User> =>
          new Promise((resolve) => {
            const seen = current;
            reads.push({
              seen,
              settle: () => {
                resolve(seen);
              },
            });
          }),
        serviceAccountExists: () => Promise.resolve(true),
      },
      { now: () => new Date(1_000_000) },
      { ttlMs: 30_000 },
    ).listenTo(changes);

    const before = cache.isActive(TENANT, 'user', USER_ID);
    expect(reads).toHaveLength(1);
    current = aUser({ tenantId: TENANT, id: USER_ID, status: 'disabled' });
    changes.changed([{ tenantId: TENANT, subjectId: USER_ID }]);
    const after = cache.isActive(TENANT, 'user', USER_ID);
    expect(reads).toHaveLength(2);
    expect(reads[1]?.seen.status).toBe('disabled');

    // The pre-change read settling first must not unregister the newer one: a third caller
    // still joins the post-change read instead of starting another.
    reads[0]?.settle();
    expect(await before).toBe(true);
    const third = cache.isActive(TENANT, 'user', USER_ID);
    expect(reads).toHaveLength(2);
    reads[1]?.settle();
    expect(await after).toBe(false);
    expect(await third).toBe(false);
    expect(cache.isActive(TENANT, 'user', USER_ID)).toBe(false);
    expect(reads).toHaveLength(2);
  });

  it('a call after a reset does not join a read that was in flight', async () => {
    const t = setup();
    const release = t.hold();
    const before = t.cache.isActive(TENANT, 'user', USER_ID);
    t.setUser(aUser({ tenantId: TENANT, id: USER_ID, status: 'disabled' }));
    t.feed.reset();
    const after = t.cache.isActive(TENANT, 'user', USER_ID);
    release();
    expect(await before).toBe(true);
    expect(await after).toBe(false);
    expect(t.reads()).toBe(2);
    expect(t.cache.isActive(TENANT, 'user', USER_ID)).toBe(false);
  });

  it('a change to another subject does not spoil a read in flight (a login storm elsewhere)', async () => {
    const t = setup();
    const release = t.hold();
    const read = t.cache.byId(TENANT, USER_ID);
    t.changes.changed([{ tenantId: TENANT, subjectId: ACCOUNT }]);
    release();
    await read;
    await t.cache.byId(TENANT, USER_ID);
    expect(t.reads()).toBe(1);
  });

  it('stays within its bound, oldest out first', async () => {
    const t = setup({ maxEntries: 2 });
    const ids = ['1', '2', '3'].map((n) => `0c000000-0000-4000-8000-00000000000${n}`);
    for (const id of ids) await t.cache.byId(TENANT, id);
    expect(t.reads()).toBe(3);
    await t.cache.byId(TENANT, ids[2]!);
    await t.cache.byId(TENANT, ids[1]!);
    expect(t.reads()).toBe(3);
    await t.cache.byId(TENANT, ids[0]!);
    expect(t.reads()).toBe(4);
  });

  it('TokenAuthenticator refuses a token without a session whose subject was disabled', async () => {
    const t = setup();
    const principal: Principal = {
      subjectId: USER_ID,
      tenantId: TENANT,
      kind: 'user',
      roles: [],
      sessionId: undefined,
      expiresAt: new Date(2_000_000_000_000),
    };
    const authenticator = new TokenAuthenticator(
      { verify: () => Promise.resolve(principal) },
      {
        byId: () => Promise.resolve({ id: TENANT, status: 'active' }),
        bySlug: () => Promise.resolve(undefined),
      } as never,
      undefined,
      t.cache,
    );
    expect((await authenticator.run('token')).subjectId).toBe(USER_ID);
    t.setUser(aUser({ tenantId: TENANT, id: USER_ID, status: 'disabled' }));
    t.changes.changed([{ tenantId: TENANT, subjectId: USER_ID }]);
    await expect(authenticator.run('token')).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });
});
