// Latency samples and metadata, shared by the load generator's two ways of running a job.
import * as grpc from '@grpc/grpc-js';

/** Latency samples kept; beyond this calls are still counted, percentiles use the first ones. */
export const MAX_SAMPLES = 5_000_000;

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Latency samples of one kind of call, grown as needed up to MAX_SAMPLES. */
export class Samples {
  private buffer = new Float64Array(1 << 16);
  private count = 0;

  record(latencyMs: number): void {
    if (this.count >= MAX_SAMPLES) return;
    if (this.count === this.buffer.length) {
      const grown = new Float64Array(Math.min(MAX_SAMPLES, this.buffer.length * 2));
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.count++] = latencyMs;
  }

  sorted(): Float64Array {
    return this.buffer.subarray(0, this.count).sort();
  }
}

export function metadataOf(entries: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}
