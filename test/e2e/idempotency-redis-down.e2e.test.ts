import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, callWithHeaders, failureOf, freshKey } from '../support/grpc.js';

/**
 * The idempotency store (a private Redis) goes away under a running core: keyed calls fail
 * closed with UNAVAILABLE and change nothing, reads without a key go on, and keyed calls work
 * again once Redis is back, without restarting the core.
 */
const UNAVAILABLE: number = status.UNAVAILABLE;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!text.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

const running = (child: ChildProcess | undefined): child is ChildProcess =>
  child?.exitCode === null && child.signalCode === null;

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!running(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('keyed calls while the Redis idempotency store is down', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let t: TestCore | undefined;

  const core = (): TestCore => {
    if (t === undefined) throw new Error('core not started');
    return t;
  };
  const create = async (slug: string, key: Record<string, string>) =>
    callWithHeaders(
      core().tenancy,
      'createTenant',
      { slug, displayName: `Tenant ${slug}`, plan: '', selfSignUpEnabled: false },
      bearer(await core().adminToken(), key),
    );
  const tenantsNamed = async (slug: string): Promise<number> =>
    (await core().database.ownerKnex('core.tenants').where({ slug }).select('id')).length;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await startTestCore({ REDIS_URL: `redis://127.0.0.1:${String(port)}` });
  });
  afterAll(async () => {
    try {
      // Closing needs Redis up (or at least not hanging on it): restart it if a test left it down.
      if (!running(redis)) {
        redis = await startRedis(port).catch(() => undefined);
      }
      await t?.close();
    } finally {
      await stop(redis);
    }
  });

  it('fails closed while Redis is down and recovers by itself when it is back', async () => {
    const { response: before } = await create('before-outage', freshKey());
    const tenantId = before.tenant?.id ?? '';
    expect(tenantId).not.toBe('');

    await stop(redis);
    redis = undefined;

    const duringKey = freshKey();
    const refused = await failureOf(create('during-outage', duringKey));
    expect(refused.code).toBe(UNAVAILABLE);
    expect(refused.reason).toBe('IDEMPOTENCY_STORE_UNAVAILABLE');
    expect(await tenantsNamed('during-outage')).toBe(0);

    // Reads carry no key and do not need the idempotency store.
    const read = await call(
      core().tenancy,
      'getTenant',
      { lookup: { $case: 'id', value: tenantId } },
      bearer(await core().adminToken()),
    );
    expect(read.tenant?.slug).toBe('before-outage');

    redis = await startRedis(port);
    const started = Date.now();
    for (;;) {
      const attempt = create('during-outage', duringKey);
      try {
        const { headers } = await attempt;
        expect(headers.get('idempotent-replayed')).toEqual([]);
        break;
      } catch (error) {
        const failure = await failureOf(attempt);
        if (failure.code !== UNAVAILABLE || Date.now() - started > 10_000) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const recoveredAfterMs = Date.now() - started;
    expect(recoveredAfterMs).toBeLessThan(10_000);
    expect(await tenantsNamed('during-outage')).toBe(1);
    // And a new key works at once.
    await create('after-outage', freshKey());
    expect(await tenantsNamed('after-outage')).toBe(1);
  }, 60_000);
});
