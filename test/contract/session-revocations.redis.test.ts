import { randomBytes } from 'node:crypto';

import { pino } from 'pino';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { RedisSessionRevocations } from '../../src/adapters/outbound/redis/redis-session-revocations.js';
import '../support/provided-context.js';

const available = inject('redisAvailable');
/** Per run, so parallel runs on one Redis never meet. */
const CHANNEL = `test:session-revocations:${randomBytes(4).toString('hex')}`;
const ids = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `05000000-0000-7000-8000-${String(i).padStart(12, '0')}`);

describe.skipIf(!available)('RedisSessionRevocations (pub/sub)', () => {
  let client: RedisClientType;
  const opened: RedisSessionRevocations[] = [];
  const open = async (): Promise<RedisSessionRevocations> => {
    const feed = new RedisSessionRevocations(client, pino({ level: 'silent' }), CHANNEL);
    await feed.start();
    opened.push(feed);
    return feed;
  };

  beforeAll(async () => {
    client = createClient({ url: inject('redisUrl') });
    await client.connect();
  });
  afterAll(async () => {
    for (const feed of opened) await feed.close();
    client.destroy();
  });

  it('tells local listeners at once and another instance soon, in chunks', async () => {
    const [sender, receiver] = [await open(), await open()];
    const local: string[] = [];
    sender.onRevoked((id) => local.push(id));
    const all = ids(250);
    const remote: string[] = [];
    const heardAll = new Promise<void>((resolve) => {
      receiver.onRevoked((id) => {
        remote.push(id);
        if (remote.length === all.length) resolve();
      });
    });
    sender.revoked(all);
    expect(local).toEqual(all);
    await heardAll;
    expect([...remote].sort()).toEqual(all);
  });
});
