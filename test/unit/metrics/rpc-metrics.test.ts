import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RpcMetrics } from '../../../src/adapters/inbound/grpc/rpc-metrics.js';

describe('RpcMetrics', () => {
  it('counts handled calls by method and code, from the latency histogram, stable across scrapes', async () => {
    const registry = new Registry();
    const metrics = new RpcMetrics(registry);
    metrics.observe('AuthorizationService.Check', 'OK', 0.0002);
    metrics.observe('AuthorizationService.Check', 'OK', 0.003);
    metrics.observe('AuthorizationService.Check', 'PERMISSION_DENIED', 0.0004);
    metrics.observe('TenancyService.GetTenant', 'OK', 0.02);
    for (let scrape = 0; scrape < 2; scrape += 1) {
      const text = await registry.metrics();
      expect(text).toContain(
        'grpc_server_handled_total{method="AuthorizationService.Check",code="OK"} 2',
      );
      expect(text).toContain(
        'grpc_server_handled_total{method="AuthorizationService.Check",code="PERMISSION_DENIED"} 1',
      );
      expect(text).toContain(
        'grpc_server_handled_total{method="TenancyService.GetTenant",code="OK"} 1',
      );
      expect(text).toContain(
        'grpc_server_handling_seconds_count{method="AuthorizationService.Check",code="OK"} 2',
      );
      expect(text).toMatch(/# TYPE grpc_server_handled_total counter/);
    }
  });

  it('reports how many calls wait for their start, as it is when scraped', async () => {
    const registry = new Registry();
    const source = { waiting: 3 };
    new RpcMetrics(registry).watchWaitingStarts(source);
    expect(await registry.metrics()).toContain('grpc_server_calls_waiting_to_start 3');
    source.waiting = 0;
    expect(await registry.metrics()).toContain('grpc_server_calls_waiting_to_start 0');
  });
});
