import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

import type { BufferedAuditRecorderOptions } from '../shared/buffered-audit-recorder.js';

type RecorderHooks = Pick<
  BufferedAuditRecorderOptions,
  'onDropped' | 'onWritten' | 'onRetry' | 'onChainConflict'
>;

/**
 * The buffered audit recorder's counters for `/metrics` (written, dropped by reason) and its
 * log lines: a retry is a warning, a drop an error, each at most every 10 s per kind so an
 * overflowing queue cannot flood the log.
 */
export function prometheusAuditRecorderHooks(registry: Registry, logger: Logger): RecorderHooks {
  const written = new Counter({
    name: 'audit_events_written_total',
    help: 'Audit events written by the buffered recorder',
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'audit_events_dropped_total',
    help: 'Audit events lost by the buffered recorder: overflow (queue full), write_failed (retries exhausted) or rejected (refused by the database)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const conflicts = new Counter({
    name: 'audit_chain_conflicts_total',
    help: 'Audit batches refused because they did not continue their tenant chain (the chain head or rows were moved outside the service: investigate)',
    registers: [registry],
  });
  const lastLog = new Map<string, number>();
  const throttled = (kind: string): boolean => {
    const now = Date.now();
    if (now - (lastLog.get(kind) ?? 0) < 10_000) return true;
    lastLog.set(kind, now);
    return false;
  };
  return {
    onWritten: (count) => {
      written.inc(count);
    },
    onDropped: (count, reason, error) => {
      dropped.inc({ reason }, count);
      if (throttled(`dropped:${reason}`)) return;
      logger.error(
        { err: error, count, reason, droppedTotal: 'see audit_events_dropped_total' },
        'audit events dropped',
      );
    },
    onChainConflict: (error, attempt) => {
      conflicts.inc();
      if (throttled('chain')) return;
      logger.error(
        { err: error, attempt, alarm: 'audit_chain_conflict' },
        'audit chain conflict: an append did not continue its tenant chain; retrying',
      );
    },
    onRetry: (error, attempt) => {
      if (throttled('retry')) return;
      logger.warn({ err: error, attempt }, 'audit batch write failed; retrying');
    },
  };
}
