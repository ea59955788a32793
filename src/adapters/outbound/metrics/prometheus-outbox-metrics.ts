import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxBacklog } from '../../../domain/notification/notifier.port.js';

/**
 * Outbox metrics for `/metrics`: the backlog (`outbox_messages{state="pending"|"failed"}`,
 * counted across tenants when scraped, so nothing polls between scrapes) and the messages the
 * cleanup deleted. A failed count read leaves the last values in place.
 */
export class PrometheusOutboxMetrics {
  readonly pruned: Counter;

  constructor(registry: Registry, backlog: () => Promise<OutboxBacklog>, logger: Logger) {
    new Gauge({
      name: 'outbox_messages',
      help: 'Outbox mail not sent yet: pending (attempts left) or failed (given up)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        try {
          const { pending, failed } = await backlog();
          this.set({ state: 'pending' }, pending);
          this.set({ state: 'failed' }, failed);
        } catch (error) {
          logger.warn({ err: error }, 'could not count the outbox backlog');
        }
      },
    });
    this.pruned = new Counter({
      name: 'outbox_cleanup_deleted_total',
      help: 'Sent or given-up outbox messages deleted after the retention',
      registers: [registry],
    });
  }
}
