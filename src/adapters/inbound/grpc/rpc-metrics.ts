import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** RPC counts and latency by method and status, for `/metrics`. */
export class RpcMetrics {
  private readonly latency: Histogram<'method' | 'code'>;

  constructor(private readonly registry: Registry) {
    this.latency = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'RPC latency in seconds, by method and status code',
      labelNames: ['method', 'code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const latency = this.latency;
    // The histogram counts every call already: the counter is read from it when scraped
    // instead of being labelled and incremented again on every call (about half a
    // microsecond of a cheap call).
    new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed, by method and status code',
      labelNames: ['method', 'code'],
      registers: [registry],
      async collect(this: Counter<'method' | 'code'>) {
        // Read first, then reset and fill with no await between: scrapes cannot interleave.
        const { values } = await latency.get();
        this.reset();
        for (const sample of values) {
          if (sample.metricName !== 'grpc_server_handling_seconds_count') continue;
          const { method, code } = sample.labels;
          this.inc({ method: String(method), code: String(code) }, sample.value);
        }
      },
    });
  }

  /** Reports, when scraped, how many calls wait for their start (see `PacedStarts`). */
  watchWaitingStarts(source: { readonly waiting: number }): void {
    new Gauge({
      name: 'grpc_server_calls_waiting_to_start',
      help: 'Calls received and not yet started (started a few per event-loop turn)',
      registers: [this.registry],
      collect(this: Gauge) {
        this.set(source.waiting);
      },
    });
  }

  observe(method: string, code: string, seconds: number): void {
    this.latency.observe({ method, code }, seconds);
  }
}
