// Two servers driven in alternating slices by one closed loop (see `LoadJob.alternate`).
//
// This machine's speed drifts by tens of percent within seconds, so a scenario measured right
// after the echo floor can still meet another machine than the floor did. Slices of a few
// hundred milliseconds, the job's target first, then the alternate, and so on, put both in the
// same seconds. A slice ends once its calls in flight have returned (the next target never
// shares the client with the last one), and its time counts up to that last answer.
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
  /** The client's CPU (user + system) over the measured slices, µs. */
  cpuMicros: number;
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
    clientCpuMicrosPerCall: target.calls > 0 ? target.cpuMicros / target.calls : Number.NaN,
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

  const callOnce = (target: Target): Promise<grpc.ServiceError | null> =>
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
          resolve(error);
        },
      );
    });

  const runSlice = async (target: Target): Promise<void> => {
    const sliceStart = process.hrtime.bigint();
    const sliceEnd = sliceStart + slice;
    // A slice that began in the warmup is not measured, not even its part after it.
    const measured = sliceStart >= windowStart;
    const cpuBefore = process.cpuUsage();
    const worker = async (): Promise<void> => {
      while (process.hrtime.bigint() < sliceEnd) {
        const began = process.hrtime.bigint();
        const error = await callOnce(target);
        target.completed += 1;
        if (!measured) continue;
        if (error) {
          target.errors += 1;
          const code = grpc.status[error.code];
          target.errorsByCode[code] = (target.errorsByCode[code] ?? 0) + 1;
          target.firstError ??= `${code}: ${error.details}`;
        } else {
          target.calls += 1;
          target.samples.record(Number(process.hrtime.bigint() - began) / 1e6);
        }
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, worker));
    if (measured) {
      target.activeNs += process.hrtime.bigint() - sliceStart;
      const used = process.cpuUsage(cpuBefore);
      target.cpuMicros += used.user + used.system;
    }
  };

  // Whole pairs only, so that both targets get as many measured slices.
  while (process.hrtime.bigint() < windowEnd) {
    for (const target of targets) await runSlice(target);
  }
  for (const target of targets) target.client.close();
  return { ...resultOf(targets[0]), alternate: resultOf(targets[1]) };
}
