import { AsyncLocalStorage } from 'node:async_hooks';

import { describe, expect, it } from 'vitest';

import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import {
  AUDIT_CHAIN_CONFLICT,
  BufferedAuditRecorder,
  type BufferedAuditRecorderOptions,
  DEFAULT_RECORDER_OPTIONS,
} from '../../../src/adapters/outbound/shared/buffered-audit-recorder.js';
import type { AuditEvent } from '../../../src/domain/audit/audit-event.js';
import type { AuditLog } from '../../../src/domain/audit/audit-log.port.js';
import { anAuditEvent } from '../../mothers/audit-event.mother.js';
import { TENANT_A_ID } from '../../mothers/tenant.mother.js';

const id = (n: number): string => `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const events = (count: number, from = 1): AuditEvent[] =>
  Array.from({ length: count }, (_, n) => anAuditEvent({ id: id(from + n) }));

function recorderOver(log: AuditLog, options: Partial<BufferedAuditRecorderOptions> = {}) {
  const dropped: { count: number; reason: string }[] = [];
  const recorder = new BufferedAuditRecorder(log, {
    ...DEFAULT_RECORDER_OPTIONS,
    retryDelayMs: 1,
    onDropped: (count, reason) => dropped.push({ count, reason }),
    ...options,
  });
  return { recorder, dropped };
}

/** An AuditLog that records each batch size, fails the first `failures` appends, or hangs. */
class ScriptedLog extends InMemoryAuditLog {
  readonly batches: number[] = [];
  readonly contexts: unknown[] = [];
  constructor(
    private failures = 0,
    private readonly seen?: AsyncLocalStorage<string>,
    private readonly failure: Error = new Error('database unavailable'),
  ) {
    super();
  }
  override append(batch: readonly AuditEvent[]): Promise<void> {
    this.contexts.push(this.seen?.getStore());
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(this.failure);
    }
    this.batches.push(batch.length);
    return super.append(batch);
  }
}

describe('BufferedAuditRecorder', () => {
  it('returns at once from record, and flush writes everything in batches, in order', async () => {
    const log = new ScriptedLog();
    const { recorder } = recorderOver(log, { batchSize: 100 });
    for (const event of events(250)) recorder.record(event);
    await recorder.flush();
    expect(log.batches.reduce((a, b) => a + b, 0)).toBe(250);
    expect(Math.max(...log.batches)).toBeLessThanOrEqual(100);
    const chain = await log.chainSlice(TENANT_A_ID, 0, 1000, 1000);
    expect(chain.map((event) => event.id)).toEqual(events(250).map((event) => event.id));
    expect(recorder.pending).toBe(0);
  });

  it('writes on its own every interval once started, and stop drains the rest', async () => {
    const log = new ScriptedLog();
    const { recorder } = recorderOver(log, { flushIntervalMs: 10 });
    recorder.start();
    recorder.record(anAuditEvent());
    await expect.poll(() => log.batches.length, { timeout: 2000 }).toBe(1);
    recorder.record(anAuditEvent({ id: id(2) }));
    await recorder.stop();
    expect(await log.list(TENANT_A_ID, 10)).toHaveLength(2);
  });

  it('retries a failed batch with backoff and loses nothing', async () => {
    const log = new ScriptedLog(3);
    const { recorder, dropped } = recorderOver(log);
    for (const event of events(5)) recorder.record(event);
    await recorder.flush();
    expect(log.contexts).toHaveLength(4);
    expect(await log.list(TENANT_A_ID, 10)).toHaveLength(5);
    expect(dropped).toEqual([]);
  });

  it('gives a batch up after maxAttempts and counts it as dropped', async () => {
    const log = new ScriptedLog(100);
    const { recorder, dropped } = recorderOver(log, { maxAttempts: 3 });
    for (const event of events(4)) recorder.record(event);
    await recorder.flush();
    expect(log.contexts).toHaveLength(3);
    expect(dropped).toEqual([{ count: 4, reason: 'write_failed' }]);
  });

  it('drops only the events the database refuses, never the rest of their batch', async () => {
    const log = new ScriptedLog();
    const { recorder, dropped } = recorderOver(log, { batchSize: 10 });
    const batch = events(10);
    batch[6] = anAuditEvent({ id: id(3) }); // an id recorded twice: refused (23505)
    for (const event of batch) recorder.record(event);
    await recorder.flush();
    expect(await log.list(TENANT_A_ID, 100)).toHaveLength(9);
    expect(dropped).toEqual([{ count: 1, reason: 'rejected' }]);
  });

  it('retries a chain conflict (guard or sequence clash) as a whole batch, with an alarm, never as rejected', async () => {
    for (const conflict of [
      Object.assign(new Error('audit chain: the event does not continue'), {
        code: AUDIT_CHAIN_CONFLICT,
      }),
      Object.assign(new Error('duplicate key'), {
        code: '23505',
        constraint: 'audit_events_tenant_sequence_key',
      }),
    ]) {
      const log = new ScriptedLog(2, undefined, conflict);
      const alarms: number[] = [];
      const { recorder, dropped } = recorderOver(log, {
        batchSize: 10,
        onChainConflict: (_error, attempt) => alarms.push(attempt),
      });
      for (const event of events(10)) recorder.record(event);
      await recorder.flush();
      expect(alarms).toEqual([1, 2]);
      expect(log.batches).toEqual([10]);
      expect(await log.list(TENANT_A_ID, 100)).toHaveLength(10);
      expect(dropped).toEqual([]);
    }
  });

  it('never blocks nor grows past maxQueue: overflow is dropped and counted', async () => {
    const log = new ScriptedLog();
    const { recorder, dropped } = recorderOver(log, { maxQueue: 10, batchSize: 1000 });
    for (const event of events(15)) recorder.record(event);
    expect(recorder.pending).toBe(10);
    expect(dropped).toEqual(Array.from({ length: 5 }, () => ({ count: 1, reason: 'overflow' })));
    await recorder.flush();
    expect(await log.list(TENANT_A_ID, 100)).toHaveLength(10);
  });

  it('never throws at the caller, whatever it is given', () => {
    const { recorder } = recorderOver(new ScriptedLog(), {
      onDropped: () => {
        throw new Error('metrics broke');
      },
      maxQueue: 0,
    });
    expect(() => {
      recorder.record(anAuditEvent());
    }).not.toThrow();
  });

  it('writes outside the async context of the request that recorded (no request transaction)', async () => {
    const request = new AsyncLocalStorage<string>();
    const log = new ScriptedLog(0, request);
    const { recorder } = recorderOver(log, { batchSize: 2 });
    await request.run('request-1', async () => {
      recorder.record(anAuditEvent());
      recorder.record(anAuditEvent({ id: id(2) }));
      await recorder.flush();
    });
    expect(log.contexts).toEqual([undefined]);
  });
});
