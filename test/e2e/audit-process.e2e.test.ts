import { spawn, type ChildProcess } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateMasterKey } from '../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { AuthorizationServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/authorization.js';
import { IdentityServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/core.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { bearer, call, insecure } from '../support/grpc.js';

const ROOT = new URL('../..', import.meta.url).pathname;

const exitOf = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

describe('the service process on SIGTERM', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('writes every buffered audit event (audited checks) before it exits', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.appUrl,
        DATABASE_MIGRATION_URL: database.ownerUrl,
        WEMASTER_MASTER_KEY: generateMasterKey(),
        WEMASTER_ADMIN_EMAIL: ADMIN_EMAIL,
        WEMASTER_ADMIN_PASSWORD: ADMIN_PASSWORD,
        PASSWORD_HASH_MEMORY_KIB: '1024',
        PASSWORD_HASH_ITERATIONS: '1',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    let address: string | undefined;
    while (address === undefined) {
      address = /gRPC on ([\d.]+:\d+)/.exec(output)?.[1];
      if (child.exitCode !== null) throw new Error(`service exited early:\n${output}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`service did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const identity = new IdentityServiceClient(address, insecure);
    const authorization = new AuthorizationServiceClient(address, insecure);
    try {
      const { result } = await call(identity, 'login', {
        tenantSlug: 'platform',
        email: ADMIN_EMAIL,
        password: ADMIN_PASSWORD,
      });
      if (result?.$case !== 'tokens') throw new Error('expected tokens');
      const token = result.value.accessToken;
      // `tenant:write` is a sensitive permission: every check of it is audited, granted or not,
      // through the buffered recorder.
      const checks = 400;
      for (let sent = 0; sent < checks; sent += 50) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            call(
              authorization,
              'check',
              { subjectId: '', permission: 'tenant:write', resource: '' },
              bearer(token),
            ),
          ),
        );
      }
      child.kill('SIGTERM');
      expect(await exitOf(child), output).toBe(0);

      const rows = await database.ownerKnex.raw<{ rows: { n: string }[] }>(
        `select count(*) as n from core.audit_events
          where tenant_id = ? and action like 'authz.check.%'`,
        [PLATFORM_TENANT_ID],
      );
      expect(Number(rows.rows[0]?.n), output).toBe(checks);
    } finally {
      identity.close();
      authorization.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
