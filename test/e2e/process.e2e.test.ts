import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IdentityServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { call, insecure } from '../support/grpc.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly grpcAddress: string;
}

function spawnCore(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

async function startAndWait(env: Record<string, string>): Promise<Started> {
  const child = spawnCore(env);
  const output = collect(child);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const match = /gRPC on ([\d.]+:\d+)/.exec(output());
    if (match?.[1] !== undefined) return { child, output, grpcAddress: match[1] };
    if (child.exitCode !== null) throw new Error(`service exited early:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not start:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

describe('the service process', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [{ GRPC_PORT: 'not-a-port' }, 'GRPC_PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://x@127.0.0.1/db' }, 'WEMASTER_MASTER_KEY'],
  ])('stops on bad configuration %j with one line naming %s', async (env, variable) => {
    const child = spawnCore(env);
    const output = collect(child);
    expect(await exitOf(child)).toBe(1);
    const lines = output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^configuration error: ${variable}: `));
    expect(output()).not.toContain('x@127.0.0.1');
  });

  it('starts on embedded Postgres with a generated administrator, stops cleanly on SIGTERM, and reuses its data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wemaster-embedded-'));
    dirs.push(dataDir);
    const env = {
      WEMASTER_DATA_DIR: dataDir,
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      GRPC_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
    };

    const first = await startAndWait(env);
    const passwordFile = join(dataDir, 'admin-password');
    const password = (await readFile(passwordFile, 'utf8')).trim();
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect(first.output()).toContain(password);

    const login = async (address: string) => {
      const identity = new IdentityServiceClient(address, insecure);
      const { result } = await call(identity, 'login', {
        tenantSlug: 'platform',
        email: 'admin@wemaster.local',
        password,
      });
      identity.close();
      return result?.$case;
    };
    expect(await login(first.grpcAddress)).toBe('tokens');
    first.child.kill('SIGTERM');
    expect(await exitOf(first.child)).toBe(0);

    const second = await startAndWait(env);
    expect(second.output()).not.toContain(password);
    expect(await login(second.grpcAddress)).toBe('tokens');
    second.child.kill('SIGTERM');
    expect(await exitOf(second.child)).toBe(0);
  }, 240_000);
});
