// npm run bench
//
// Builds and starts the service (node dist/main.js) and a bare grpc-js echo server, drives
// both with the same closed-loop load generator (a separate process per run: fixed
// concurrency, fixed duration, bounded), and prints calls/s and p50/p99 latency per RPC next to
// the echo floor at the same concurrency. Results also go to bench/results/latest.json.
// No timing assertions anywhere: the numbers are for people, compare them on one machine.
//
// Environment:
//   BENCH_CONCURRENCY=16,64     calls in flight, one run per level and scenario
//   BENCH_ROUNDS=3              runs per scenario and level, each measuring the echo floor
//                               too; the table shows medians over the rounds
//   BENCH_SLICE_MS=250          within a run, echo and scenario take turns in slices this long
//                               (the machine's drift then weighs on both alike); 0 = the echo
//                               run first, then the scenario's (always so with background load)
//   BENCH_DURATION_MS=2000      measured window per run (per target in alternating runs)
//   BENCH_WARMUP_MS=500         unmeasured warmup per run
//   BENCH_CALL_TIMEOUT_MS=5000  deadline of each call
//   BENCH_SCENARIOS=a,b         only scenarios whose name contains one of these (case-insensitive)
//   BENCH_ONLY_ECHO=1           only the echo floor (no service needed)
//   BENCH_ENGINE=0              skip the in-process authorization engine micro-benchmark
//   BENCH_ONLY_ENGINE=1         only that micro-benchmark (bench/engine-micro.ts, a few seconds)
//   BENCH_RUNTIME=dist          the service as deployed: `npm run build` output run by node
//                               (default); `tsx` runs src/ through tsx instead
//   BENCH_SERVICE_ADDRESS=h:p   use a running service instead of starting one; then
//                               WEMASTER_ADMIN_EMAIL / WEMASTER_ADMIN_PASSWORD must log in
//   DATABASE_URL, DATABASE_MIGRATION_URL, WEMASTER_MASTER_KEY, REDIS_URL are passed to the
//   service; without DATABASE_URL it uses its embedded Postgres in a temporary data folder.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import {
  IdentityServiceClient,
  type LoginResponse,
} from '../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import {
  TenancyServiceClient,
  type CreateTenantResponse,
} from '../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import {
  HEALTH_CHECK_PATH,
  identityDeserialize,
  identitySerialize,
  type EchoListening,
  type LoadJob,
  type LoadReply,
  type LoadResult,
} from './protocol.js';
import { formatEngineRows, type EngineReport } from './engine-micro.js';
import {
  echoScenario,
  scenarios,
  type BenchContext,
  type PreparedCall,
  type Scenario,
} from './scenarios.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

// ---------------------------------------------------------------------------------------------
// Configuration

function intList(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined || value.trim() === '') return fallback;
  const list = value.split(',').map((part) => Number.parseInt(part.trim(), 10));
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`expected a comma-separated list of positive integers, got "${value}"`);
  }
  return list;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

function nonNegativeInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

const config = {
  concurrency: intList(process.env.BENCH_CONCURRENCY, [16, 64]),
  rounds: positiveInt('BENCH_ROUNDS', 3),
  durationMs: positiveInt('BENCH_DURATION_MS', 2_000),
  warmupMs: positiveInt('BENCH_WARMUP_MS', 500),
  callTimeoutMs: positiveInt('BENCH_CALL_TIMEOUT_MS', 5_000),
  onlyEcho: process.env.BENCH_ONLY_ECHO === '1' || process.env.BENCH_ONLY_ECHO === 'true',
  engine: process.env.BENCH_ENGINE !== '0' && process.env.BENCH_ENGINE !== 'false',
  onlyEngine: process.env.BENCH_ONLY_ENGINE === '1' || process.env.BENCH_ONLY_ENGINE === 'true',
  scenarioFilter: (process.env.BENCH_SCENARIOS ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== ''),
  serviceAddress: process.env.BENCH_SERVICE_ADDRESS,
  runtime: process.env.BENCH_RUNTIME === 'tsx' ? 'tsx' : 'dist',
  sliceMs: nonNegativeInt('BENCH_SLICE_MS', 250),
};

// ---------------------------------------------------------------------------------------------
// Child processes: tracked so every exit path ends them

const children = new Set<ChildProcess>();
/** Children started detached, so that signals go to their whole process group. */
const groupLeaders = new WeakSet<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];

function killChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Detached children lead their own process group (the service and its embedded Postgres).
    if (groupLeaders.has(child)) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  killChild(child, 'SIGTERM');
  if (!(await waitForExit(child, graceMs))) {
    killChild(child, 'SIGKILL');
    await waitForExit(child, 5_000);
  }
  children.delete(child);
}

let cleaningUp: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    await Promise.all([...children].map((child) => stopChild(child)));
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup: ${String(error)}`);
      }
    }
  })();
  return cleaningUp;
}

process.on('exit', () => {
  for (const child of children) killChild(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping child processes`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Forks a TypeScript file from bench/ with the tsx loader and an IPC channel. */
function forkTs(file: string, args: string[] = [], node: string[] = []): ChildProcess {
  const child = fork(join(benchDir, file), args, {
    cwd: root,
    execArgv: [...node, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function nextMessage<T>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: unknown): void => {
      done();
      resolve(message as T);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      done();
      reject(new Error(`${what}: exited (code ${String(code)}, signal ${String(signal)})`));
    };
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function unary<TResponse>(
  invoke: (callback: (error: grpc.ServiceError | null, response?: TResponse) => void) => unknown,
): Promise<TResponse> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => {
      if (error) reject(error);
      else if (response === undefined) reject(new Error('empty response'));
      else resolve(response);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Echo server, service, setup

async function startEcho(): Promise<{ address: string; pid: number | undefined }> {
  const child = forkTs('echo-server.ts', ['0']);
  const message = await nextMessage<EchoListening>(child, 30_000, 'echo server');
  return { address: `127.0.0.1:${message.port}`, pid: child.pid };
}

/** grpc.health.v1.HealthCheckResponse.status of the whole server; SERVING = 1. */
async function healthStatus(address: string): Promise<number> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    const bytes = await unary<Buffer>((callback) =>
      client.makeUnaryRequest(
        HEALTH_CHECK_PATH,
        identitySerialize,
        identityDeserialize,
        Buffer.alloc(0),
        new grpc.Metadata(),
        { deadline: Date.now() + 2_000 },
        callback,
      ),
    );
    const reader = new BinaryReader(bytes);
    let status = 0;
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.Varint) status = reader.int32();
      else reader.skip(wireType);
    }
    return status;
  } finally {
    client.close();
  }
}

interface Service {
  address: string;
  /** Our own child process, whose CPU per call the table shows; undefined for an outside one. */
  pid?: number;
  adminEmail: string;
  adminPassword: string;
}

async function startService(): Promise<Service> {
  if (config.serviceAddress !== undefined) {
    const adminEmail = process.env.WEMASTER_ADMIN_EMAIL;
    const adminPassword = process.env.WEMASTER_ADMIN_PASSWORD;
    if (adminEmail === undefined || adminPassword === undefined) {
      throw new Error(
        'BENCH_SERVICE_ADDRESS needs WEMASTER_ADMIN_EMAIL and WEMASTER_ADMIN_PASSWORD',
      );
    }
    return { address: config.serviceAddress, adminEmail, adminPassword };
  }

  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const adminEmail = 'bench-admin@example.com';
  // A persistent DATABASE_URL keeps its first admin: let the caller name the password then.
  const adminPassword =
    (process.env.DATABASE_URL !== undefined ? process.env.WEMASTER_ADMIN_PASSWORD : undefined) ??
    randomBytes(18).toString('base64url'); // 24 characters
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'warn',
    // The login storm measures logins at their real cost: argon2id with the OWASP parameters.
    PASSWORD_HASH_MEMORY_KIB: '19456',
    PASSWORD_HASH_ITERATIONS: '2',
    WEMASTER_ADMIN_EMAIL: adminEmail,
    WEMASTER_ADMIN_PASSWORD: adminPassword,
  };
  if (process.env.DATABASE_URL === undefined) {
    const dataDir = mkdtempSync(join(tmpdir(), 'wemaster-bench-'));
    // Started by root, embedded Postgres runs as the OS user postgres: let it traverse.
    chmodSync(dataDir, 0o711);
    env.WEMASTER_DATA_DIR = join(dataDir, 'data');
    cleanups.push(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  // Measured as deployed: compiled JS. Run through tsx, every closure the request path makes
  // also gets a name-keeping call from the on-the-fly transform, which production never pays.
  let entry = ['--import', 'tsx', 'src/main.ts'];
  if (config.runtime === 'dist') {
    console.log('building the service (npm run build) ...');
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: root, stdio: 'inherit' },
    );
    entry = ['dist/main.js'];
  }
  // Detached: the service leads its own process group (with its embedded Postgres), killed as one.
  const child = spawn(process.execPath, entry, {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  groupLeaders.add(child);
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (process.env.BENCH_VERBOSE === '1') {
    child.stdout.pipe(process.stdout);
    child.stderr.pipe(process.stderr);
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `code ${String(code)}, signal ${String(signal)}`;
    children.delete(child);
  });

  const address = `127.0.0.1:${grpcPort}`;
  const deadline = Date.now() + 120_000;
  let lastError = 'no answer yet';
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`the service exited during startup (${exited}). Output:\n${output.join('')}`);
    }
    try {
      const status = await healthStatus(address);
      if (status === 1) break;
      lastError = `health status ${status}`;
    } catch (error) {
      lastError = String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the service was not SERVING within 120 s (${lastError}). Output:\n${output.join('')}`,
      );
    }
    await sleep(250);
  }
  return { address, pid: child.pid, adminEmail, adminPassword };
}

async function setUp(service: Service): Promise<BenchContext> {
  const credentials = grpc.credentials.createInsecure();
  const identity = new IdentityServiceClient(service.address, credentials);
  const tenancy = new TenancyServiceClient(service.address, credentials);
  try {
    const login = await unary<LoginResponse>((callback) =>
      identity.login(
        { tenantSlug: 'platform', email: service.adminEmail, password: service.adminPassword },
        callback,
      ),
    );
    if (login.result?.$case !== 'tokens') {
      throw new Error(`admin login did not return tokens (${login.result?.$case ?? 'empty'})`);
    }
    const adminToken = login.result.value.accessToken;
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${adminToken}`);
    metadata.set('idempotency-key', `bench-setup-${randomBytes(8).toString('hex')}`);
    const slug = `bench-${randomBytes(4).toString('hex')}`;
    const created = await unary<CreateTenantResponse>((callback) =>
      tenancy.createTenant(
        { slug, displayName: 'Bench', plan: '', selfSignUpEnabled: false },
        metadata,
        callback,
      ),
    );
    if (created.tenant === undefined) throw new Error('CreateTenant returned no tenant');
    return {
      serviceAddress: service.address,
      adminToken,
      tenant: { id: created.tenant.id, slug: created.tenant.slug },
    };
  } finally {
    identity.close();
    tenancy.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Load runs

/** The authorization engine micro-benchmark, in its own process (with a GC it can force). */
async function runEngineMicro(): Promise<EngineReport> {
  console.log('authorization engine micro-benchmark (bench/engine-micro.ts) ...');
  const child = forkTs('engine-micro.ts', [], ['--expose-gc']);
  try {
    return await nextMessage<EngineReport>(child, 120_000, 'engine micro-benchmark');
  } finally {
    await stopChild(child, 5_000);
  }
}

function printEngineTable(report: EngineReport): void {
  const note = report.gcExposed ? '' : ' (no forced GC: memory is rough)';
  console.log(`\nauthorization engine, in process${note}\n${formatEngineRows(report.rows)}`);
}

/**
 * CPU time (user + system, all threads) a process has used, in µs, from /proc (Linux); NaN
 * elsewhere. /proc counts in USER_HZ ticks, 100 per second on Linux.
 */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at "state" (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

async function runLoad(
  job: Omit<LoadJob, 'type'>,
  serverPid?: number,
  alternatePid?: number,
): Promise<LoadResult> {
  const child = forkTs('load-generator.ts');
  const bound = job.warmupMs + job.durationMs + job.callTimeoutMs + 30_000;
  try {
    const replyPromise = nextMessage<LoadReply>(child, bound, 'load generator');
    const serverCpuBefore = processCpuMicros(serverPid);
    const alternateCpuBefore = processCpuMicros(alternatePid);
    child.send({ type: 'job', ...job } satisfies LoadJob);
    const reply = await replyPromise;
    if (reply.type === 'failure') throw new Error(reply.message);
    // Over the whole run (warmup included): the server is idle before and after it.
    const serverCpu = processCpuMicros(serverPid) - serverCpuBefore;
    const serverCpuMicrosPerCall =
      reply.completedCalls > 0 ? serverCpu / reply.completedCalls : Number.NaN;
    if (reply.alternate === undefined) return { ...reply, serverCpuMicrosPerCall };
    const alternateCpu = processCpuMicros(alternatePid) - alternateCpuBefore;
    const { completedCalls } = reply.alternate;
    return {
      ...reply,
      serverCpuMicrosPerCall,
      alternate: {
        ...reply.alternate,
        serverCpuMicrosPerCall: completedCalls > 0 ? alternateCpu / completedCalls : Number.NaN,
      },
    };
  } finally {
    await stopChild(child, 5_000);
  }
}

interface Row {
  scenario: string;
  path: string;
  target: 'echo' | 'service';
  concurrency: number;
  result: LoadResult;
  callsPerSecondRatio: number;
  p99Ratio: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/** Several runs of one thing as one: medians of the rates and latencies, sums of the counts. */
function medianResult(runs: readonly LoadResult[]): LoadResult {
  const errorsByCode: Record<string, number> = {};
  for (const run of runs) {
    for (const [code, count] of Object.entries(run.errorsByCode)) {
      errorsByCode[code] = (errorsByCode[code] ?? 0) + count;
    }
  }
  const of = (pick: (run: LoadResult) => number): number => median(runs.map(pick));
  return {
    type: 'result',
    calls: runs.reduce((sum, run) => sum + run.calls, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    errorsByCode,
    firstError: runs.find((run) => run.firstError !== undefined)?.firstError,
    elapsedSeconds: runs.reduce((sum, run) => sum + run.elapsedSeconds, 0),
    callsPerSecond: of((run) => run.callsPerSecond),
    p50Ms: of((run) => run.p50Ms),
    p90Ms: of((run) => run.p90Ms),
    p99Ms: of((run) => run.p99Ms),
    maxMs: Math.max(...runs.map((run) => run.maxMs)),
    completedCalls: runs.reduce((sum, run) => sum + run.completedCalls, 0),
    clientCpuMicrosPerCall: of((run) => run.clientCpuMicrosPerCall),
    serverCpuMicrosPerCall: of((run) => run.serverCpuMicrosPerCall),
  };
}

const fmt = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function printTable(rows: Row[]): void {
  const header = [
    'scenario',
    'in-flight',
    'calls/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'calls/s vs echo',
    'p99 vs echo',
    'server µs/call',
    'client µs/call',
  ];
  const lines = rows.map((row) => [
    row.scenario,
    String(row.concurrency),
    fmt(row.result.callsPerSecond, 0),
    fmt(row.result.p50Ms, 2),
    fmt(row.result.p99Ms, 2),
    String(row.result.errors),
    fmt(row.callsPerSecondRatio, 2),
    fmt(row.p99Ratio, 2),
    fmt(row.result.serverCpuMicrosPerCall, 0),
    fmt(row.result.clientCpuMicrosPerCall, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(`\n${render(header)}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(render(l));
  for (const row of rows) {
    if (row.result.firstError !== undefined) {
      console.log(
        `\n${row.scenario} @${row.concurrency}: ${row.result.errors} errors ` +
          `${JSON.stringify(row.result.errorsByCode)}; first: ${row.result.firstError}`,
      );
    }
  }
}

interface AddedLatency {
  scenario: string;
  addsTo: string;
  concurrency: number;
  /** p50 of the separate runs in the table, this scenario's minus its base's. */
  separateRunsMs: number;
  /** Per interleaved run: p50 of this scenario's calls minus p50 of the base's calls. */
  interleavedMs: number[];
  /** Per interleaved run: the median of (this call − the base call just before it). */
  pairDeltaMs: number[];
  /** Failed calls over the interleaved runs, base and variant. */
  errors: number;
  /**
   * The echo floor's p50 at the same level in this run: the added time in bare round trips,
   * a figure that carries over between machines better than milliseconds do.
   */
  echoP50Ms: number | undefined;
}

/**
 * For scenarios adding to another (e.g. an idempotency key): the p50 they add. Separate runs
 * minutes apart differ by more than that on this kind of machine, so the figure that counts
 * comes from runs that alternate the two calls one by one on the same channel.
 */
async function measureAddedLatency(
  prepared: readonly ({ scenario: Scenario } & PreparedCall)[],
  rows: readonly Row[],
  serviceAddress: string,
): Promise<AddedLatency[]> {
  const added: AddedLatency[] = [];
  for (const { scenario, request, metadata, freshMetadata } of prepared) {
    if (scenario.addsTo === undefined) continue;
    const base = prepared.find((p) => p.scenario.name === scenario.addsTo);
    if (base === undefined) continue;
    if (
      base.scenario.path !== scenario.path ||
      Buffer.compare(Buffer.from(base.request), Buffer.from(request)) !== 0
    ) {
      throw new Error(`"${scenario.name}" adds to "${scenario.addsTo}": same path and request`);
    }
    for (const row of rows.filter((r) => r.scenario === scenario.name)) {
      const baseRow = rows.find(
        (r) => r.scenario === scenario.addsTo && r.concurrency === row.concurrency,
      );
      if (baseRow === undefined) continue;
      const runs: LoadResult[] = [];
      for (let round = 0; round < config.rounds; round += 1) {
        runs.push(
          await runLoad({
            concurrency: row.concurrency,
            warmupMs: config.warmupMs,
            durationMs: config.durationMs,
            callTimeoutMs: config.callTimeoutMs,
            address: serviceAddress,
            path: scenario.path,
            requestBase64: Buffer.from(request).toString('base64'),
            metadata: base.metadata,
            freshMetadata: base.freshMetadata,
            interleaved: { metadata, freshMetadata },
          }),
        );
      }
      added.push({
        scenario: scenario.name,
        addsTo: scenario.addsTo,
        concurrency: row.concurrency,
        separateRunsMs: row.result.p50Ms - baseRow.result.p50Ms,
        interleavedMs: runs.map((run) => (run.interleaved?.p50Ms ?? Number.NaN) - run.p50Ms),
        pairDeltaMs: runs.map((run) => run.interleaved?.medianPairDeltaMs ?? Number.NaN),
        errors: runs.reduce((sum, run) => sum + run.errors + (run.interleaved?.errors ?? 0), 0),
        echoP50Ms: rows.find(
          (r) => r.scenario === echoScenario.name && r.concurrency === row.concurrency,
        )?.result.p50Ms,
      });
    }
  }
  return added;
}

function printAddedLatency(added: readonly AddedLatency[]): void {
  const signed = (ms: number): string => `${ms >= 0 ? '+' : ''}${fmt(ms, 2)}`;
  for (const a of added) {
    console.log(
      `\n${a.scenario} @${a.concurrency}: p50 ${signed(median(a.interleavedMs))} ms over ` +
        `"${a.addsTo}", calls interleaved one by one (per run: ` +
        `${a.interleavedMs.map(signed).join(', ')}; median pair difference ` +
        `${signed(median(a.pairDeltaMs))} ms; ${a.errors} errors); separate runs above: ` +
        `${signed(a.separateRunsMs)} ms` +
        (a.echoP50Ms === undefined || a.echoP50Ms <= 0
          ? ''
          : `; ${fmt(median(a.interleavedMs) / a.echoP50Ms, 1)}x the echo floor's p50 ` +
            `(${fmt(a.echoP50Ms, 2)} ms)`),
    );
  }
}

/** For scenarios naming a baseline: what they keep of it at each level (e.g. during a storm). */
function printBaselineComparisons(rows: Row[], selected: readonly Scenario[]): void {
  for (const scenario of selected) {
    if (scenario.baseline === undefined) continue;
    for (const row of rows.filter((r) => r.scenario === scenario.name)) {
      const base = rows.find(
        (r) => r.scenario === scenario.baseline && r.concurrency === row.concurrency,
      );
      if (base === undefined) {
        console.log(`\n${scenario.name}: run "${scenario.baseline}" too to compare`);
        continue;
      }
      console.log(
        `\n${scenario.name} @${row.concurrency}: ` +
          `${fmt(row.result.callsPerSecond / base.result.callsPerSecond, 2)} of ` +
          `"${scenario.baseline}" calls/s, p99 ${fmt(row.result.p99Ms / base.result.p99Ms, 2)}x, ` +
          `${row.result.errors} errors`,
      );
    }
  }
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const selected: readonly Scenario[] = config.onlyEcho
    ? []
    : scenarios.filter(
        (s) =>
          config.scenarioFilter.length === 0 ||
          config.scenarioFilter.some((f) => s.name.toLowerCase().includes(f)),
      );

  console.log(
    `bench: in-flight ${config.concurrency.join(', ')}; ${config.warmupMs} ms warmup + ` +
      `${config.durationMs} ms per run; ${selected.length} scenario(s) + echo floor`,
  );
  const engine = config.engine || config.onlyEngine ? await runEngineMicro() : undefined;
  if (config.onlyEngine && engine !== undefined) {
    printEngineTable(engine);
    return;
  }
  const echoServer = await startEcho();
  const echoAddress = echoServer.address;
  console.log(`echo server on ${echoAddress}`);

  const prepared: ({ scenario: Scenario } & PreparedCall)[] = [];
  let serviceAddress: string | undefined;
  let servicePid: number | undefined;
  if (selected.length > 0) {
    console.log(
      `starting the service (${config.runtime === 'dist' ? 'dist/main.js' : 'src/main.ts'}) ...`,
    );
    const started = Date.now();
    const service = await startService();
    serviceAddress = service.address;
    servicePid = service.pid;
    console.log(`service SERVING on ${service.address} after ${Date.now() - started} ms`);
    const context = await setUp(service);
    console.log(`setup: admin logged in, tenant ${context.tenant.slug} created`);
    for (const scenario of selected) {
      const call = await scenario.prepare(context);
      prepared.push({ scenario, ...call });
    }
  }

  const rows: Row[] = [];
  const comparedUnderLoad = new Set(
    prepared.flatMap(({ scenario, background }) =>
      background !== undefined && scenario.baseline !== undefined ? [scenario.baseline] : [],
    ),
  );
  // Scenarios may name their own in-flight levels (slow mutating RPCs run at 1 only, so their
  // queued calls never spill into the next scenario's window).
  const levelsOf = (scenario: Scenario): readonly number[] =>
    scenario.inFlight ?? config.concurrency;
  const levels = [
    ...new Set([...config.concurrency, ...prepared.flatMap(({ scenario }) => levelsOf(scenario))]),
  ].sort((a, b) => a - b);
  const echoJob = {
    address: echoAddress,
    path: echoScenario.path,
    requestBase64: Buffer.from(echoScenario.request).toString('base64'),
    metadata: {},
  };
  for (const concurrency of levels) {
    const common = {
      concurrency,
      warmupMs: config.warmupMs,
      durationMs: config.durationMs,
      callTimeoutMs: config.callTimeoutMs,
    };
    console.log(`\n-- ${concurrency} in flight`);
    // Every scenario is measured with an echo floor of its own, in the same seconds (slices)
    // or right before it: this machine's speed drifts by tens of percent over a minute, and a
    // floor measured once per level would compare the last scenarios with another machine.
    const echoRuns: LoadResult[] = [];
    const echoRun = async (): Promise<LoadResult> => {
      const echo = await runLoad({ ...common, ...echoJob }, echoServer.pid);
      echoRuns.push(echo);
      return echo;
    };
    const serviceRows: Row[] = [];
    for (const { scenario, request, metadata, freshMetadata, background } of prepared) {
      if (serviceAddress === undefined) break;
      if (!levelsOf(scenario).includes(concurrency)) continue;
      const rounds: { echo: LoadResult; result: LoadResult; alongside?: LoadResult }[] = [];
      const scenarioJob = {
        address: serviceAddress,
        path: scenario.path,
        requestBase64: Buffer.from(request).toString('base64'),
        metadata,
        freshMetadata,
      };
      // A scenario compared with one under background load is measured as that one is.
      const alternating =
        config.sliceMs > 0 && background === undefined && !comparedUnderLoad.has(scenario.name);
      for (let round = 0; round < config.rounds; round += 1) {
        if (alternating) {
          // Echo and scenario in alternating slices of one run (twice the window: each gets
          // one window's worth of measured time).
          const both = await runLoad(
            {
              ...common,
              ...echoJob,
              durationMs: 2 * common.durationMs,
              alternate: { ...scenarioJob, sliceMs: config.sliceMs },
            },
            echoServer.pid,
            servicePid,
          );
          if (both.alternate === undefined) throw new Error('alternating run without its half');
          const { alternate: result, ...echo } = both;
          echoRuns.push(echo);
          rounds.push({ echo, result });
          continue;
        }
        const echo = await echoRun();
        // Background load (e.g. a login storm) runs in its own generator over the same window.
        const alongside =
          background === undefined
            ? undefined
            : runLoad({
                ...common,
                concurrency: background.concurrency,
                address: serviceAddress,
                path: background.path,
                requestBase64: Buffer.from(background.request).toString('base64'),
                metadata: background.metadata,
                freshMetadata: background.freshMetadata,
              });
        const result = await runLoad(
          { ...common, ...scenarioJob },
          // With background load the service's CPU is shared: no per-call figure then.
          background === undefined ? servicePid : undefined,
        );
        rounds.push({
          echo,
          result,
          ...(alongside === undefined ? {} : { alongside: await alongside }),
        });
      }
      const result = medianResult(rounds.map((r) => r.result));
      const alongside = rounds.flatMap((r) => (r.alongside === undefined ? [] : [r.alongside]));
      if (background !== undefined && alongside.length > 0) {
        const load = medianResult(alongside);
        console.log(`   ${background.name} alongside: ${fmt(load.callsPerSecond, 1)} calls/s`);
        serviceRows.push({
          scenario: `  ${background.name} (during the row below)`,
          path: background.path,
          target: 'service',
          concurrency: background.concurrency,
          result: load,
          callsPerSecondRatio: Number.NaN,
          p99Ratio: Number.NaN,
        });
      }
      const ratios = rounds.map((r) => r.result.callsPerSecond / r.echo.callsPerSecond);
      const micros = (runs: LoadResult[], pick: (run: LoadResult) => number): string =>
        runs.map((run) => fmt(pick(run), 0)).join('/');
      console.log(
        `   ${scenario.name}: ${fmt(result.callsPerSecond, 0)} calls/s ` +
          `(vs echo per round: ${ratios.map((ratio) => fmt(ratio, 2)).join(', ')}; ` +
          `server µs/call ${micros(
            rounds.map((r) => r.result),
            (run) => run.serverCpuMicrosPerCall,
          )} vs echo ${micros(
            rounds.map((r) => r.echo),
            (run) => run.serverCpuMicrosPerCall,
          )}; client ${micros(
            rounds.map((r) => r.result),
            (run) => run.clientCpuMicrosPerCall,
          )} vs ${micros(
            rounds.map((r) => r.echo),
            (run) => run.clientCpuMicrosPerCall,
          )})`,
      );
      serviceRows.push({
        scenario: scenario.name,
        path: scenario.path,
        target: 'service',
        concurrency,
        result,
        callsPerSecondRatio: median(ratios),
        p99Ratio: median(rounds.map((r) => r.result.p99Ms / r.echo.p99Ms)),
      });
    }
    while (echoRuns.length < config.rounds) await echoRun();
    const echo = medianResult(echoRuns);
    console.log(`   ${echoScenario.name}: ${fmt(echo.callsPerSecond, 0)} calls/s (median)`);
    rows.push(
      {
        scenario: echoScenario.name,
        path: echoScenario.path,
        target: 'echo',
        concurrency,
        result: echo,
        callsPerSecondRatio: 1,
        p99Ratio: 1,
      },
      ...serviceRows,
    );
  }

  const added =
    serviceAddress === undefined ? [] : await measureAddedLatency(prepared, rows, serviceAddress);

  printTable(rows);
  if (engine !== undefined) printEngineTable(engine);
  printBaselineComparisons(rows, selected);
  printAddedLatency(added);

  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'latest.json');
  const cpuList = cpus();
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: gitCommit(),
        node: process.version,
        cpus: { count: cpuList.length, model: cpuList[0]?.model },
        config: {
          concurrency: config.concurrency,
          rounds: config.rounds,
          warmupMs: config.warmupMs,
          durationMs: config.durationMs,
          callTimeoutMs: config.callTimeoutMs,
          database: process.env.DATABASE_URL === undefined ? 'embedded' : 'DATABASE_URL',
          runtime: config.serviceAddress === undefined ? config.runtime : 'external',
          sliceMs: config.sliceMs,
          redis: process.env.REDIS_URL === undefined ? 'none' : 'REDIS_URL',
        },
        rows,
        added,
        engine: engine?.rows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nresults written to ${file}`);
}

try {
  await main();
  await cleanup();
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  await cleanup();
  process.exitCode = 1;
}
