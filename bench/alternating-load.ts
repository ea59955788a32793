// Two servers driven in alternating slices by one closed loop (see `LoadJob.alternate`).
//
// This machine's speed drifts by tens of percent within seconds, so a scenario measured right
// after the echo floor can still meet another machine than the floor did. Slices of a few
// hundred milliseconds, taking turns, put both in the same seconds. A slice's calls in flight
// return before the next slice starts (the targets never share the client), and only the
// slice's own time is measured (see `runSlice`).
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { metadataOf, percentile, Samples } from './load-samples.js';
import {
  identityDeserialize,
  identitySerialize,
  type AlternateTarget,
  type LoadJob,
  type LoadResult,
} from './protocol.js';

interface Target {
  readonly client: grpc.Client;
  readonly path: string;
  readonly request: Buffer;
  readonly entries: Record<string, string>;
  readonly fresh: readonly string[];
  readonly metadata: grpc.Metadata;
  readonly samples: Samples;
  calls: number;
  errors: number;
  completed: number;
  readonly errorsByCode: Record<string, number>;
  firstError: string | undefined;
  /** Measured slices' time, from their start to their last answer. */
  activeNs: bigint;
  /** The client's CPU (user + system) over the measured parts of slices, µs... */
  cpuMicros: number;
  /** ...and the answers (calls and errors) counted in those parts. */
  cpuAnswers: number;
}

function targetOf(
  spec: Pick<AlternateTarget, 'address' | 'path' | 'requestBase64' | 'metadata' | 'freshMetadata'>,
): Target {
  return {
    client: new grpc.Client(spec.address, grpc.credentials.createInsecure()),
    path: spec.path,
    request: Buffer.from(spec.requestBase64, 'base64'),
    entries: spec.metadata,
    fresh: spec.freshMetadata ?? [],
    metadata: metadataOf(spec.metadata),
    samples: new Samples(),
    calls: 0,
    errors: 0,
    completed: 0,
    errorsByCode: {},
    firstError: undefined,
    activeNs: 0n,
    cpuMicros: 0,
    cpuAnswers: 0,
  };
}

function ready(client: grpc.Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + 10_000, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

function resultOf(target: Target): LoadResult {
  const sorted = target.samples.sorted();
  const elapsedSeconds = Math.max(Number(target.activeNs) / 1e9, 1e-9);
  return {
    type: 'result',
    calls: target.calls,
    errors: target.errors,
    errorsByCode: target.errorsByCode,
    firstError: target.firstError,
    elapsedSeconds,
    callsPerSecond: target.calls / elapsedSeconds,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    completedCalls: target.completed,
    clientCpuMicrosPerCall:
      target.cpuAnswers > 0 ? target.cpuMicros / target.cpuAnswers : Number.NaN,
    serverCpuMicrosPerCall: Number.NaN,
  };
}

export async function runAlternating(
  job: LoadJob,
  alternate: AlternateTarget,
): Promise<LoadResult> {
  const targets = [targetOf(job), targetOf(alternate)] as const;
  await Promise.all(targets.map((target) => ready(target.client)));

  const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
  const windowStart = process.hrtime.bigint() + ns(job.warmupMs);
  const windowEnd = windowStart + ns(job.durationMs);
  const slice = ns(alternate.sliceMs);
  // Fresh values must differ from every earlier run's too (see the load generator).
  const nonce = randomBytes(6).toString('hex');
  let sequence = 0;

  /** Resolves with the call's error (or null) and the moment its answer came. */
  const callOnce = (target: Target): Promise<{ error: grpc.ServiceError | null; ended: bigint }> =>
    new Promise((resolve) => {
      let metadata = target.metadata;
      if (target.fresh.length > 0) {
        metadata = target.metadata.clone();
        sequence += 1;
        for (const key of target.fresh) {
          metadata.set(key, `${target.entries[key] ?? ''}-${nonce}-${String(sequence)}`);
        }
      }
      target.client.makeUnaryRequest(
        target.path,
        identitySerialize,
        identityDeserialize,
        target.request,
        metadata,
        { deadline: Date.now() + job.callTimeoutMs },
        (error) => {
          resolve({ error, ended: process.hrtime.bigint() });
        },
      );
    });

  /**
   * One slice: calls start until its end. What is measured: the answers that come between a
   * tenth into the slice (the pipeline has filled, and what the other target left running has
   * mostly finished) and its end, over that time; the latencies of the calls started in it.
   * The drain after the end (waiting for the slowest call) is not measured.
   */
  const runSlice = async (target: Target, measured: boolean): Promise<void> => {
    const sliceStart = process.hrtime.bigint();
    const sliceEnd = sliceStart + slice;
    const measureFrom = sliceStart + slice / 10n;
    // The client's CPU over the measured part, read by timers at its start and end.
    const ms = (at: bigint): number => Number((at - sliceStart) / 1_000_000n);
    let cpuFrom: NodeJS.CpuUsage | undefined;
    let cpuUsed: NodeJS.CpuUsage | undefined;
    const cpuTimers = [
      setTimeout(() => {
        cpuFrom = process.cpuUsage();
      }, ms(measureFrom)),
      setTimeout(() => {
        if (cpuFrom !== undefined) cpuUsed = process.cpuUsage(cpuFrom);
      }, ms(sliceEnd)),
    ];
    let answers = 0;
    const worker = async (): Promise<void> => {
      while (process.hrtime.bigint() < sliceEnd) {
        const began = process.hrtime.bigint();
        const { error, ended } = await callOnce(target);
        target.completed += 1;
        if (!measured) continue;
        const counted = ended >= measureFrom && ended <= sliceEnd;
        if (counted) answers += 1;
        if (error) {
          if (counted) target.errors += 1;
          const code = grpc.status[error.code];
          target.errorsByCode[code] = (target.errorsByCode[code] ?? 0) + 1;
          target.firstError ??= `${code}: ${error.details}`;
          continue;
        }
        if (counted) target.calls += 1;
        if (began >= measureFrom) target.samples.record(Number(ended - began) / 1e6);
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, worker));
    for (const timer of cpuTimers) clearTimeout(timer);
    if (measured) {
      target.activeNs += sliceEnd - measureFrom;
      if (cpuUsed !== undefined) {
        target.cpuMicros += cpuUsed.user + cpuUsed.system;
        target.cpuAnswers += answers;
      }
    }
  };

  // Pairs of slices, measured as pairs (both targets get as many), in turn order: echo first in
  // one pair, the other first in the next, so a trend within the run weighs on both alike.
  for (let pair = 0; process.hrtime.bigint() < windowEnd; pair += 1) {
    const measured = process.hrtime.bigint() >= windowStart;
    const order = pair % 2 === 0 ? targets : ([targets[1], targets[0]] as const);
    for (const target of order) await runSlice(target, measured);
  }
  for (const target of targets) target.client.close();
  return { ...resultOf(targets[0]), alternate: resultOf(targets[1]) };
}
