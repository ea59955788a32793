import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { TenancyServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { IdentityServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { generateMasterKey } from '../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/core.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { bearer, call, callWithHeaders, failureOf, insecure } from '../support/grpc.js';

/**
 * A real service process SIGKILLs itself at each idempotency failpoint (WEMASTER_FAILPOINT)
 * in the middle of a CreateTenant; a healthy process on the same database and Redis then gets
 * the same key: the tenant exists exactly once, created by whichever process committed it.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const LEASE_MS = 1500;
const ABORTED: number = status.ABORTED;

interface Process {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly address: string;
}

async function startProcess(env: Record<string, string>): Promise<Process> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = /gRPC on ([\d.]+:\d+)/.exec(text);
    if (match?.[1] !== undefined) return { child, output: () => text, address: match[1] };
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`service exited early:\n${text}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not start:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How the process ended: its exit code or the signal that killed it. */
const endOf = (child: ChildProcess): Promise<string> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.signalCode ?? String(child.exitCode))
    : new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          resolve(signal ?? String(code));
        });
      });

async function adminClients(address: string): Promise<{
  tenancy: TenancyServiceClient;
  token: string;
  close: () => void;
}> {
  const identity = new IdentityServiceClient(address, insecure);
  const tenancy = new TenancyServiceClient(address, insecure);
  const { result } = await call(identity, 'login', {
    tenantSlug: 'platform',
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
  });
  identity.close();
  if (result?.$case !== 'tokens') throw new Error('admin login failed');
  return {
    tenancy,
    token: result.value.accessToken,
    close: () => {
      tenancy.close();
    },
  };
}

const FAILPOINTS = [
  ['idempotency.after-lock', 'after-lock', false],
  ['idempotency.in-transaction', 'in-transaction', false],
  ['idempotency.after-commit', 'after-commit', true],
] as const;

describe.runIf(inject('redisAvailable'))('a process killed at an idempotency failpoint', () => {
  let database: TestDatabase;
  let baseEnv: Record<string, string>;
  let healthy: Process | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    baseEnv = {
      DATABASE_URL: database.appUrl,
      DATABASE_MIGRATION_URL: database.ownerUrl,
      REDIS_URL: inject('redisUrl'),
      WEMASTER_MASTER_KEY: generateMasterKey(),
      WEMASTER_ADMIN_EMAIL: ADMIN_EMAIL,
      WEMASTER_ADMIN_PASSWORD: ADMIN_PASSWORD,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_ITERATIONS: '1',
      SHUTDOWN_GRACE_MS: '2000',
      IDEMPOTENCY_LEASE_MS: String(LEASE_MS),
    };
  });

  afterAll(async () => {
    if (healthy !== undefined) {
      healthy.child.kill('SIGTERM');
      await endOf(healthy.child);
    }
    await database.drop();
  });

  it.each(FAILPOINTS)(
    'at %s: a retry on another process settles the key exactly once',
    async (failpoint, name, expectReplay) => {
      const key = randomUUID();
      const slug = `crash-${name}`;
      const request = {
        slug,
        displayName: `Crash ${name}`,
        plan: '',
        selfSignUpEnabled: false,
      };

      const doomed = await startProcess({ ...baseEnv, WEMASTER_FAILPOINT: failpoint });
      const first = await adminClients(doomed.address);
      const lost = await failureOf(
        callWithHeaders(
          first.tenancy,
          'createTenant',
          request,
          bearer(first.token, { 'idempotency-key': key }),
        ),
      );
      first.close();
      expect(lost.code, lost.message).toBe(status.UNAVAILABLE);
      expect(await endOf(doomed.child)).toBe('SIGKILL');

      // The healthy process (one for all three cases) starts after the first crash.
      healthy ??= await startProcess(baseEnv);
      const second = await adminClients(healthy.address);
      const started = Date.now();
      let answer: Awaited<ReturnType<typeof callWithHeaders<TenancyServiceClient, 'createTenant'>>>;
      for (;;) {
        const attempt = callWithHeaders(
          second.tenancy,
          'createTenant',
          request,
          bearer(second.token, { 'idempotency-key': key }),
        );
        try {
          answer = await attempt;
          break;
        } catch (error) {
          const failure = await failureOf(attempt);
          // The dead process's lease may still be live (until LEASE_MS after its last renewal).
          const inProgress =
            failure.code === ABORTED && failure.reason === 'IDEMPOTENCY_IN_PROGRESS';
          if (!inProgress || Date.now() - started > 10 * LEASE_MS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      second.close();

      const rows = await database.ownerKnex('core.tenants').where({ slug }).select('id');
      expect(rows).toHaveLength(1);
      const [{ id }] = rows as [{ id: string }];
      expect(answer.response.tenant?.id).toBe(id);
      const replayed = answer.headers.get('idempotent-replayed');
      if (expectReplay) {
        // Committed by the dead process: the retry returns its tenant, not a new one.
        expect(replayed).toEqual(['true']);
      } else {
        // Nothing committed: the retry executed.
        expect(replayed).toEqual([]);
      }
    },
    120_000,
  );
});
