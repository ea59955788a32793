import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, callWithHeaders, failureOf } from '../support/grpc.js';

/**
 * Three replicas (in-process cores on one database, one Redis) take the same CreateTenant,
 * one key, 300 times at once, round-robin: it runs once, every other answer is that outcome
 * replayed or IDEMPOTENCY_IN_PROGRESS, and nothing else comes back; later calls on every
 * replica replay it.
 */
const CALLS = 300;

describe.runIf(inject('redisAvailable'))('one key on three replicas', () => {
  const cores: TestCore[] = [];

  beforeAll(async () => {
    const env = { REDIS_URL: inject('redisUrl') };
    const first = await startTestCore(env);
    cores.push(first);
    cores.push(await startTestCore(env, { replicaOf: first }));
    cores.push(await startTestCore(env, { replicaOf: first }));
  });
  afterAll(async () => {
    // The first one drops the database: close it last.
    for (const core of [...cores].reverse()) await core.close();
  });

  it(`${String(CALLS)} simultaneous CreateTenant calls with one key create one tenant`, async () => {
    const [first] = cores;
    if (first === undefined) throw new Error('no cores');
    const token = await first.adminToken();
    const key = randomUUID();
    const slug = 'one-of-three-hundred';
    const request = { slug, displayName: 'Once', plan: '', selfSignUpEnabled: false };

    const answers = await Promise.all(
      Array.from({ length: CALLS }, (_, i) => {
        const core = cores[i % cores.length];
        if (core === undefined) throw new Error('no core');
        const attempt = callWithHeaders(
          core.tenancy,
          'createTenant',
          request,
          bearer(token, { 'idempotency-key': key }),
        );
        return attempt.then(
          ({ response, headers }) => ({
            ok: true as const,
            response,
            replayed: headers.get('idempotent-replayed'),
          }),
          async () => ({ ok: false as const, failure: await failureOf(attempt) }),
        );
      }),
    );

    expect(answers).toHaveLength(CALLS);
    const successes = answers.filter((answer) => answer.ok);
    const failures = answers.filter((answer) => !answer.ok);
    expect(successes.length + failures.length).toBe(CALLS);

    // Every failure is "in progress"; no other code.
    const failureKinds = new Set(
      failures.map(({ failure }) => `${String(failure.code)}/${String(failure.reason)}`),
    );
    expect(
      [...failureKinds].filter(
        (kind) => kind !== `${String(status.ABORTED)}/IDEMPOTENCY_IN_PROGRESS`,
      ),
    ).toEqual([]);

    // One execution; every other success is the same response, replayed.
    const executed = successes.filter((answer) => answer.replayed.length === 0);
    const replayed = successes.filter((answer) => answer.replayed.length > 0);
    expect(executed).toHaveLength(1);
    for (const answer of replayed) expect(answer.replayed).toEqual(['true']);
    const [once] = executed;
    for (const answer of replayed) expect(answer.response).toEqual(once?.response);

    const rows = await first.database.ownerKnex('core.tenants').where({ slug }).select('id');
    expect(rows).toEqual([{ id: once?.response.tenant?.id }]);

    // For the record in the test output: how the burst split.
    console.info(
      `one key x ${String(CALLS)}: executed ${String(executed.length)}, replayed ${String(replayed.length)}, in progress ${String(failures.length)}`,
    );

    // Once settled, every replica replays the same response (Redis has it for all of them).
    const later = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        callWithHeaders(
          (cores[i % cores.length] ?? first).tenancy,
          'createTenant',
          request,
          bearer(token, { 'idempotency-key': key }),
        ),
      ),
    );
    for (const { response, headers } of later) {
      expect(headers.get('idempotent-replayed')).toEqual(['true']);
      expect(response).toEqual(once?.response);
    }
    expect(await first.database.ownerKnex('core.tenants').where({ slug }).count()).toEqual([
      { count: '1' },
    ]);
  }, 60_000);
});
