// In-process micro-benchmark of the authorization engine (pure domain code, no I/O) on a large
// tenant: 1 000 roles in an inheritance DAG of depth 6, 100 000 bindings over 10 000 subjects.
// Prints tenant compile time, subject compile time, checks per second on cached compiled
// subjects (a mix of allowed and denied, tenant-wide and resource checks) and memory per cached
// subject. Deterministic data (seeded PRNG); a few seconds in all. Times are the process's CPU
// time (robust on a shared machine; it includes the GC's helper threads).
//
//   node --expose-gc --import tsx bench/engine-micro.ts     (npx tsx works too: memory is then
//                                                            best-effort, without forced GC)
// Forked by bench/run.ts, it sends its rows over IPC instead of printing them.
import { performance } from 'node:perf_hooks';
import { compileTenantPolicy } from '../src/domain/authorization/compile-tenant-policy.js';
import type { CompiledSubject } from '../src/domain/authorization/policy-engine.js';
import type { Role, RoleBinding } from '../src/domain/authorization/role.js';

export interface EngineRow {
  metric: string;
  value: number;
  unit: string;
  digits: number;
}

export interface EngineReport {
  type: 'engine-micro';
  rows: EngineRow[];
  gcExposed: boolean;
}

const TENANT = '0190a5e2-0000-7000-8000-00000000be00';
const LEVELS = [300, 250, 200, 130, 80, 40]; // leaves first; 1 000 roles, depth 6
const RESOURCE_TYPES = 80;
const ACTIONS = ['read', 'list', 'create', 'update', 'delete', 'share', 'export', 'approve'];
const SUBJECTS = 10_000;
const TENANT_BINDINGS_PER_SUBJECT = 2;
const RESOURCE_BINDINGS_PER_SUBJECT = 8; // 10 per subject: 100 000 bindings
const IDS_PER_TYPE = 1_000;
const CHECK_MS = 1_000;
const MEMORY_SAMPLE = 1_000;

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(42);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

/** A flat string, as decoded from a request or read from a row (templates make rope strings). */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');
const type = (t: number): string => `res${t}`;
const permission = (): string => flat(`${type(int(RESOURCE_TYPES))}:${pick(ACTIONS)}`);
const resource = (): string => flat(`${type(int(RESOURCE_TYPES))}/${int(IDS_PER_TYPE)}`);

function buildRoles(): Role[] {
  const epoch = new Date(0);
  const roles: Role[] = [];
  const byLevel: string[][] = [];
  for (const [level, size] of LEVELS.entries()) {
    const ids: string[] = [];
    for (let i = 0; i < size; i++) {
      const id = `role-${level}-${i}`;
      const permissions = new Set<string>();
      // Leaves carry most permissions (8-20); upper roles add a few of their own.
      const own = level === 0 ? 8 + int(13) : int(5);
      for (let p = 0; p < own; p++) permissions.add(permission());
      if (random() < 0.05) permissions.add(flat(`${type(int(RESOURCE_TYPES))}:*`));
      if (level === LEVELS.length - 1 && i < 2) permissions.add('*');
      const inherits = new Set<string>();
      if (level > 0) {
        const below = byLevel[level - 1] ?? [];
        for (let k = 2 + int(3); k > 0; k--) inherits.add(pick(below));
        if (level > 1 && random() < 0.5) inherits.add(pick(byLevel[int(level - 1)] ?? []));
      }
      roles.push({
        tenantId: TENANT,
        id,
        name: `role ${level}.${i}`,
        description: '',
        permissions: [...permissions],
        inherits: [...inherits],
        system: false,
        createdAt: epoch,
        updatedAt: epoch,
      });
      ids.push(id);
    }
    byLevel.push(ids);
  }
  return roles;
}

function buildBindings(roles: readonly Role[], now: number): RoleBinding[][] {
  const epoch = new Date(0);
  const perSubject: RoleBinding[][] = [];
  let n = 0;
  for (let s = 0; s < SUBJECTS; s++) {
    const list: RoleBinding[] = [];
    for (let b = 0; b < TENANT_BINDINGS_PER_SUBJECT + RESOURCE_BINDINGS_PER_SUBJECT; b++) {
      const expiry = random();
      list.push({
        tenantId: TENANT,
        id: `binding-${n++}`,
        subjectId: `subject-${s}`,
        subjectKind: 'user',
        roleId: pick(roles).id,
        scope:
          b < TENANT_BINDINGS_PER_SUBJECT
            ? { kind: 'tenant' }
            : { kind: 'resource', resource: resource() },
        // 10% expired, 10% expiring later, the rest permanent.
        expiresAt:
          expiry < 0.1
            ? new Date(now - 1_000 - int(1e9))
            : expiry < 0.2
              ? new Date(now + 1_000 + int(1e9))
              : undefined,
        createdAt: epoch,
      });
    }
    perSubject.push(list);
  }
  return perSubject;
}

/** Milliseconds of CPU used by this process: on a shared machine, time descheduled is not ours. */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapUsed(): number {
  if (gc !== undefined) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

function main(): EngineReport {
  const rows: EngineRow[] = [];
  const row = (metric: string, value: number, unit: string, digits = 0): void => {
    rows.push({ metric, value, unit, digits });
  };
  const nowMs = Date.parse('2026-06-01T12:00:00Z');
  const now = new Date(nowMs);

  const roles = buildRoles();
  const bindings = buildBindings(roles, nowMs);

  // Tenant: the index and graph walk, then every role's closure (normally compiled on first use).
  const heapBeforeTenant = heapUsed();
  let started = cpuNow();
  const policy = compileTenantPolicy(TENANT, roles);
  const indexMs = cpuNow() - started;
  started = cpuNow();
  policy.compileAllRoles();
  const closuresMs = cpuNow() - started;
  const tenantBytes = heapUsed() - heapBeforeTenant;
  row('tenant compile: index + graph walk (1 000 roles)', indexMs, 'ms', 2);
  row('tenant compile: all role closures', closuresMs, 'ms', 1);
  row('tenant policy memory (all closures)', tenantBytes / 1024 / 1024, 'MiB', 1);

  // Subjects: 10 bindings each (2 tenant-wide, 8 on resources).
  started = cpuNow();
  const subjects: CompiledSubject[] = bindings.map((list, s) =>
    policy.compileSubject(`subject-${s}`, list),
  );
  const subjectsMs = cpuNow() - started;
  row('subject compile (10 bindings)', (subjectsMs * 1000) / SUBJECTS, 'µs/subject', 1);

  // Checks: half ask for a permission of a role the subject is bound to, in that binding's scope
  // (allowed unless the binding expired), half for any permission anywhere (mostly denied); a
  // third of all are tenant-wide checks.
  const byId = new Map(roles.map((role) => [role.id, role]));
  const queries: { subject: CompiledSubject; permission: string; resource: string | undefined }[] =
    [];
  for (let q = 0; q < 100_000; q++) {
    const s = int(SUBJECTS);
    const subject = subjects[s];
    if (subject === undefined) continue;
    let required = permission();
    let target: string | undefined = int(3) === 0 ? undefined : resource();
    if (random() < 0.5) {
      const binding = pick(bindings[s] ?? []);
      let role = byId.get(binding.roleId);
      while (role?.permissions.length === 0) {
        role = byId.get(role.inherits[0] ?? '');
      }
      const held = (role?.permissions ?? []).filter((p) => p !== '*');
      if (held.length > 0) required = flat(pick(held).replace(/:\*$/, ':read'));
      if (binding.scope.kind === 'resource') target = binding.scope.resource;
    }
    queries.push({ subject, permission: required, resource: target });
  }
  let allowed = 0;
  for (const query of queries) {
    if (query.subject.decide(query.permission, query.resource, now).allowed) allowed++;
  }
  // Time-boxed runs (the figures are per CPU second): every check on a random one of the
  // 10 000 subjects (memory-bound), then the first 100 queries only (cache-resident).
  let checksum = 0;
  const run = (window: number): { perSecond: number; meanNs: number } => {
    let done = 0;
    const begin = performance.now();
    const cpuBegin = cpuNow();
    let elapsed = 0;
    while (elapsed < CHECK_MS) {
      for (let i = 0; i < 10_000; i++, done++) {
        const query = queries[done % window];
        if (query === undefined) continue;
        const decision = query.subject.decide(query.permission, query.resource, now);
        checksum += decision.allowed ? decision.rolePath.length : 1;
      }
      elapsed = performance.now() - begin;
    }
    const cpuMs = cpuNow() - cpuBegin;
    return { perSecond: (done / cpuMs) * 1000, meanNs: (cpuMs * 1e6) / done };
  };
  const cold = run(queries.length);
  row('checks, random subject of 10 000', cold.perSecond, 'checks/s');
  row('  mean check latency', cold.meanNs, 'ns');
  const hot = run(100);
  row('checks, 100 hot subjects', hot.perSecond, 'checks/s');
  row('  mean check latency', hot.meanNs, 'ns');
  row('checks allowed', (allowed / queries.length) * 100, '%', 1);

  // Memory per cached subject: a fresh set of compiled subjects (role closures already shared).
  const retained: CompiledSubject[] = [];
  const heapBefore = heapUsed();
  for (let s = 0; s < MEMORY_SAMPLE; s++) {
    retained.push(policy.compileSubject(`subject-${s}`, bindings[s] ?? []));
  }
  const perSubject = (heapUsed() - heapBefore) / MEMORY_SAMPLE;
  row(
    `memory per cached subject${gc === undefined ? ' (no --expose-gc: rough)' : ''}`,
    perSubject / 1024,
    'KiB',
    2,
  );
  if (retained.length !== MEMORY_SAMPLE || checksum < 0) throw new Error('unreachable');

  return { type: 'engine-micro', rows, gcExposed: gc !== undefined };
}

export function formatEngineRows(rows: readonly EngineRow[]): string {
  const cells = rows.map((r) => [
    r.metric,
    r.value.toLocaleString('en-US', {
      minimumFractionDigits: r.digits,
      maximumFractionDigits: r.digits,
    }),
    r.unit,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  return cells
    .map((c) =>
      [(c[0] ?? '').padEnd(widths[0] ?? 0), (c[1] ?? '').padStart(widths[1] ?? 0), c[2] ?? ''].join(
        '  ',
      ),
    )
    .join('\n');
}

if (process.argv[1]?.endsWith('engine-micro.ts') === true) {
  const report = main();
  if (process.send !== undefined) {
    process.send(report);
  } else {
    console.log(
      `authorization engine micro-benchmark (${roles()} roles, ${SUBJECTS * (TENANT_BINDINGS_PER_SUBJECT + RESOURCE_BINDINGS_PER_SUBJECT)} bindings, ${SUBJECTS} subjects)`,
    );
    console.log(formatEngineRows(report.rows));
  }
}

function roles(): number {
  return LEVELS.reduce((a, b) => a + b, 0);
}
