import { describe, expect, it } from 'vitest';

import { InProcessSessionRevocations } from '../../../src/adapters/outbound/memory/in-process-session-revocations.js';
import { SessionLivenessCache } from '../../../src/adapters/outbound/memory/session-liveness-cache.js';

const TENANT = '0a000000-0000-4000-8000-00000000000a';
const SID = '05000000-0000-7000-8000-000000000001';

function setup(answer: () => Promise<boolean>) {
  let now = 1_000_000;
  let asked = 0;
  const feed = new InProcessSessionRevocations();
  const cache = new SessionLivenessCache(
    () => {
      asked++;
      return answer();
    },
    { now: () => new Date(now) },
    { liveTtlMs: 5_000, revokedRetentionMs: 60_000 },
  ).listenTo(feed);
  return {
    cache,
    feed,
    asked: () => asked,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SessionLivenessCache', () => {
  it('asks once per TTL and answers from memory in between (a plain boolean)', async () => {
    const t = setup(() => Promise.resolve(true));
    expect(await t.cache.isLive(TENANT, SID)).toBe(true);
    expect(t.cache.isLive(TENANT, SID)).toBe(true);
    expect(t.asked()).toBe(1);
    t.advance(5_001);
    expect(await t.cache.isLive(TENANT, SID)).toBe(true);
    expect(t.asked()).toBe(2);
  });

  it('a broadcast revocation counts at once, and is forgotten after the retention', async () => {
    const t = setup(() => Promise.resolve(true));
    await t.cache.isLive(TENANT, SID);
    t.feed.revoked([SID]);
    expect(t.cache.isLive(TENANT, SID)).toBe(false);
    t.advance(60_001);
    expect(await t.cache.isLive(TENANT, SID)).toBe(true);
  });

  it('a reset (listener reconnected) drops what was seen live', async () => {
    const t = setup(() => Promise.resolve(true));
    await t.cache.isLive(TENANT, SID);
    t.feed.reset();
    expect(t.cache.isLive(TENANT, SID)).toBeInstanceOf(Promise);
  });

  it('does not cache a "live" answer that a revocation overtook', async () => {
    let release: (live: boolean) => void = () => undefined;
    const t = setup(
      () =>
        new Promise<boolean>((resolve) => {
          release = resolve;
        }),
    );
    const pending = t.cache.isLive(TENANT, SID);
    t.feed.revoked([SID]);
    release(true);
    await pending;
    expect(t.cache.isLive(TENANT, SID)).toBe(false);
  });

  it('shares one lookup between concurrent callers', async () => {
    const t = setup(() => Promise.resolve(false));
    const [a, b] = await Promise.all([t.cache.isLive(TENANT, SID), t.cache.isLive(TENANT, SID)]);
    expect([a, b]).toEqual([false, false]);
    expect(t.asked()).toBe(1);
    expect(t.cache.isLive(TENANT, SID)).toBe(false);
  });
});
