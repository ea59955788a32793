// Messages between bench/run.ts and its child processes (IPC), and the grpc-js pieces they share.
import type * as grpc from '@grpc/grpc-js';

/** One load run: what to call, how hard, for how long. Requests travel pre-encoded. */
export interface LoadJob {
  type: 'job';
  /** host:port of the gRPC server under load. */
  address: string;
  /** Full method path, e.g. `/grpc.health.v1.Health/Check`. */
  path: string;
  /** The serialized request message, base64. Every call sends the same bytes. */
  requestBase64: string;
  /** ASCII metadata sent with every call (e.g. `authorization`). */
  metadata: Record<string, string>;
  /** Metadata entries whose value gets `-<run nonce>-<call number>` appended: no two calls match. */
  freshMetadata?: string[];
  /**
   * Every other call (per in-flight slot) carries this metadata instead, its latencies kept
   * apart: two variants of one call measured under the same conditions, call by call.
   */
  interleaved?: { metadata: Record<string, string>; freshMetadata?: string[] };
  /**
   * A second server called in alternating slices with this job's (each slice ends when its
   * calls in flight have returned): both measured in the same seconds, so the machine's drift
   * over a run weighs on both alike. Its figures come back as `LoadResult.alternate`.
   */
  alternate?: AlternateTarget;
  /** Calls kept in flight at all times. */
  concurrency: number;
  /** Calls during the warmup are made but not measured. */
  warmupMs: number;
  /** Measured window after the warmup. */
  durationMs: number;
  /** Deadline of each call. */
  callTimeoutMs: number;
}

/**
 * One target's figures. In an alternating run (`LoadJob.alternate`) the measured window is
 * the measured parts of that target's slices: calls, errors and CPU are the answers that came
 * in them, `elapsedSeconds` their summed length.
 */
export interface LoadResult {
  type: 'result';
  /** Successful calls completed inside the measured window. */
  calls: number;
  /** Failed calls inside the measured window, by status name. */
  errors: number;
  errorsByCode: Record<string, number>;
  firstError: string | undefined;
  /** Length of the measured window actually observed, in seconds. */
  elapsedSeconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Calls completed from the first to the last (warmup and spill-over included). */
  completedCalls: number;
  /** The load generator's own CPU (user + system) per call over the measured window, µs. */
  clientCpuMicrosPerCall: number;
  /**
   * The server process's CPU per completed call over the whole run, µs (read from /proc by
   * bench/run.ts; NaN when the server is not its child or /proc is missing).
   */
  serverCpuMicrosPerCall: number;
  /** The interleaved variant's calls (see `LoadJob.interleaved`); the fields above are the base's. */
  interleaved?: InterleavedResult;
  /** The alternate target's figures (see `LoadJob.alternate`); the fields above are the job's. */
  alternate?: LoadResult;
}

export interface AlternateTarget {
  address: string;
  path: string;
  requestBase64: string;
  metadata: Record<string, string>;
  freshMetadata?: string[];
  /** Length of one slice; the job's target has the first one. */
  sliceMs: number;
}

export interface InterleavedResult {
  calls: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** Median over one slot's pairs of calls (in turn order) of variant minus base latency. */
  medianPairDeltaMs: number;
}

export interface LoadFailure {
  type: 'failure';
  message: string;
}

export type LoadReply = LoadResult | LoadFailure;

export interface EchoListening {
  type: 'listening';
  port: number;
}

/** Requests and responses stay raw bytes: the load generator needs no generated code. */
export const identitySerialize = (value: Buffer): Buffer => value;
export const identityDeserialize = (value: Buffer): Buffer => value;

export const ECHO_PATH = '/bench.v1.EchoService/Echo';
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** A unary method definition with identity serializers, for grpc-js servers and clients. */
export function rawUnaryMethod(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identitySerialize,
    requestDeserialize: identityDeserialize,
    responseSerialize: identitySerialize,
    responseDeserialize: identityDeserialize,
  };
}
