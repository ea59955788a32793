import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusIdempotencyEvents } from '../../../src/adapters/outbound/metrics/prometheus-idempotency-events.js';

const beginsOf = async (registry: Registry): Promise<Record<string, number>> => {
  const metric = await registry.getSingleMetric('idempotency_begins_total')?.get();
  return Object.fromEntries(
    (metric?.values ?? []).map(({ labels, value }) => [String(labels.outcome), value]),
  );
};

describe('PrometheusIdempotencyEvents', () => {
  it('counts begins by outcome, every outcome present from the start', async () => {
    const registry = new Registry();
    const events = new PrometheusIdempotencyEvents(registry, pino({ level: 'silent' }));
    expect(await beginsOf(registry)).toEqual({ new: 0, replayed: 0, in_progress: 0, mismatch: 0 });

    events.begun('new');
    events.begun('replayed');
    events.begun('replayed');
    events.begun('mismatch');
    expect(await beginsOf(registry)).toEqual({ new: 1, replayed: 2, in_progress: 0, mismatch: 1 });

    // Scraping twice reports the same totals, not twice the counts.
    events.begun('replayed');
    expect(await beginsOf(registry)).toEqual({ new: 1, replayed: 3, in_progress: 0, mismatch: 1 });
    expect(await registry.metrics()).toContain('idempotency_begins_total{outcome="replayed"} 3');
  });
});
