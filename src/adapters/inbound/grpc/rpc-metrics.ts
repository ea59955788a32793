import { Counter, Histogram, type Registry } from 'prom-client';

/** RPC counts and latency by method and status, for `/metrics`. */
export class RpcMetrics {
  private readonly handled: Counter<'method' | 'code'>;
  private readonly latency: Histogram<'method' | 'code'>;

  constructor(registry: Registry) {
    this.handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed, by method and status code',
      labelNames: ['method', 'code'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'RPC latency in seconds, by method and status code',
      labelNames: ['method', 'code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  observe(method: string, code: string, seconds: number): void {
    this.handled.inc({ method, code });
    this.latency.observe({ method, code }, seconds);
  }
}
