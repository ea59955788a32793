// Closed-loop load generator, run as its own process (bench/run.ts forks it once per run, so
// the client's CPU never competes with the parent's bookkeeping and every run starts cold).
//
// It receives one LoadJob over IPC, keeps `concurrency` calls in flight on one channel until
// warmup + duration have passed (alternating two variants of the call when the job names a
// second one), measures only the calls that start and finish inside the measured window,
// sends back one LoadReply and exits. A job with a second server to alternate with runs in
// slices instead (alternating-load.ts). The run is bounded: no new call starts
// after the window, each call has a deadline, and a watchdog ends the process if calls hang.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  identityDeserialize,
  identitySerialize,
  type LoadFailure,
  type LoadJob,
  type LoadReply,
  type LoadResult,
} from './protocol.js';
import { runAlternating } from './alternating-load.js';
import { metadataOf, percentile, Samples } from './load-samples.js';

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  if (job.alternate !== undefined) return runAlternating(job, job.alternate);
  const client = new grpc.Client(job.address, grpc.credentials.createInsecure());
  const request = Buffer.from(job.requestBase64, 'base64');
  // Variant 0 is the job's own call; variant 1, if any, is interleaved with it.
  const variants = [
    { entries: job.metadata, fresh: job.freshMetadata ?? [] },
    ...(job.interleaved === undefined
      ? []
      : [{ entries: job.interleaved.metadata, fresh: job.interleaved.freshMetadata ?? [] }]),
  ].map((variant) => ({ ...variant, metadata: metadataOf(variant.entries) }));

  await new Promise<void>((resolve, reject) => {
    client.waitForReady(Date.now() + 10_000, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });

  const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
  const start = process.hrtime.bigint();
  const windowStart = start + ns(job.warmupMs);
  const windowEnd = windowStart + ns(job.durationMs);

  const samples = variants.map(() => new Samples());
  const pairDeltas = new Samples();
  const errorsOf = variants.map(() => 0);
  let calls = 0;
  let lastCompletion = windowStart;
  const errorsByCode: Record<string, number> = {};
  let firstError: string | undefined;

  // CPU per call over the measured window: the client's share of each call's cost, which the
  // calls/s ratio alone cannot tell apart from the server's.
  let completedCalls = 0;
  let windowCpu: { at: NodeJS.CpuUsage; completed: number } | undefined;
  let windowCpuMicros = Number.NaN;
  let windowCompleted = 0;
  const startTimer = setTimeout(() => {
    windowCpu = { at: process.cpuUsage(), completed: completedCalls };
  }, job.warmupMs);
  let windowClosed = false;
  const closeWindow = (): void => {
    if (windowCpu === undefined || windowClosed) return;
    windowClosed = true;
    const used = process.cpuUsage(windowCpu.at);
    windowCpuMicros = used.user + used.system;
    windowCompleted = completedCalls - windowCpu.completed;
  };
  const endTimer = setTimeout(closeWindow, job.warmupMs + job.durationMs);

  // Fresh values must differ from every earlier run's too (a key reused across rounds would
  // be a replay, not a fresh call): the sequence restarts with each process, the nonce does not.
  const nonce = randomBytes(6).toString('hex');
  let sequence = 0;
  const metadataFor = (variant: (typeof variants)[number]): grpc.Metadata => {
    if (variant.fresh.length === 0) return variant.metadata;
    const unique = variant.metadata.clone();
    sequence += 1;
    for (const key of variant.fresh) {
      unique.set(key, `${variant.entries[key] ?? ''}-${nonce}-${String(sequence)}`);
    }
    return unique;
  };

  const callOnce = (
    variant: (typeof variants)[number],
  ): Promise<{ error: grpc.ServiceError | null; began: bigint; ended: bigint }> =>
    new Promise((resolve) => {
      const callMetadata = metadataFor(variant);
      const began = process.hrtime.bigint();
      client.makeUnaryRequest(
        job.path,
        identitySerialize,
        identityDeserialize,
        request,
        callMetadata,
        { deadline: Date.now() + job.callTimeoutMs },
        (error) => {
          resolve({ error, began, ended: process.hrtime.bigint() });
        },
      );
    });

  const worker = async (): Promise<void> => {
    // With two variants, calls go in pairs, in turn order (base first in one pair, the variant
    // first in the next): what a call leaves behind (e.g. work after its answer) then weighs on
    // both variants alike. A pair's difference is taken once both answered in the window.
    for (let pair = 0; process.hrtime.bigint() < windowEnd; pair += 1) {
      const order = variants.length === 1 || pair % 2 === 0 ? [0, 1] : [1, 0];
      const latencies: (number | undefined)[] = [];
      for (const index of order) {
        const variant = variants[index];
        if (variant === undefined || process.hrtime.bigint() >= windowEnd) continue;
        const { error, began, ended } = await callOnce(variant);
        completedCalls += 1;
        if (began < windowStart || ended > windowEnd) continue; // warmup or spill-over
        if (ended > lastCompletion) lastCompletion = ended;
        if (error) {
          errorsOf[index] = (errorsOf[index] ?? 0) + 1;
          const code = grpc.status[error.code];
          errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
          firstError ??= `${code}: ${error.details}`;
          continue;
        }
        const latency = Number(ended - began) / 1e6;
        samples[index]?.record(latency);
        latencies[index] = latency;
        if (index === 0) calls += 1;
      }
      const [base, variant] = latencies;
      if (base !== undefined && variant !== undefined) pairDeltas.record(variant - base);
    }
  };

  await Promise.all(Array.from({ length: job.concurrency }, worker));
  client.close();
  clearTimeout(endTimer);
  closeWindow(); // a busy loop may run the last calls out before the timer fires
  clearTimeout(startTimer);

  const [base, variant] = samples.map((s) => s.sorted());
  const sorted = base ?? new Float64Array(0);
  const elapsedSeconds = Math.max(Number(lastCompletion - windowStart) / 1e9, 1e-9);
  const result: LoadResult = {
    type: 'result',
    calls,
    errors: errorsOf[0] ?? 0,
    errorsByCode,
    firstError,
    elapsedSeconds,
    callsPerSecond: calls / elapsedSeconds,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    completedCalls,
    clientCpuMicrosPerCall: windowCompleted > 0 ? windowCpuMicros / windowCompleted : Number.NaN,
    serverCpuMicrosPerCall: Number.NaN,
  };
  if (variant !== undefined) {
    result.interleaved = {
      calls: variant.length,
      errors: errorsOf[1] ?? 0,
      p50Ms: percentile(variant, 0.5),
      p99Ms: percentile(variant, 0.99),
      medianPairDeltaMs: percentile(pairDeltas.sorted(), 0.5),
    };
  }
  return result;
}

function reply(message: LoadReply): void {
  if (process.send) {
    process.send(message, () => {
      process.exit(message.type === 'result' ? 0 : 1);
    });
  } else {
    console.log(JSON.stringify(message));
    process.exit(message.type === 'result' ? 0 : 1);
  }
}

function isLoadJob(value: unknown): value is LoadJob {
  return (
    typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'job'
  );
}

if (process.send) {
  process.once('message', (message: unknown) => {
    if (!isLoadJob(message)) {
      reply({ type: 'failure', message: 'load generator: expected a job message' });
      return;
    }
    // Watchdog: warmup + window + one deadline for the last calls + slack (alternating: the
    // last pair may run over by two slices and their drains).
    const overrun =
      message.alternate === undefined
        ? message.callTimeoutMs
        : 2 * (message.alternate.sliceMs + message.callTimeoutMs);
    const bound = message.warmupMs + message.durationMs + overrun + 20_000;
    setTimeout(() => {
      const failure: LoadFailure = {
        type: 'failure',
        message: `load generator: still running after ${bound} ms; giving up`,
      };
      reply(failure);
    }, bound).unref();
    runLoad(message).then(reply, (error: unknown) => {
      reply({ type: 'failure', message: `load generator: ${String(error)}` });
    });
  });
  process.on('disconnect', () => process.exit(1));
}
