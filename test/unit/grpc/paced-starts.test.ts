import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it, vi } from 'vitest';
import { PacedStarts } from '../../../src/adapters/inbound/grpc/paced-starts.js';

/** Resolves in the check phase after those already scheduled: one event-loop turn on. */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

describe('PacedStarts', () => {
  it('starts at most perTurn calls per event-loop turn, in the order they came', async () => {
    const started: number[] = [];
    const starts = new PacedStarts(4, () => undefined);
    for (let i = 0; i < 10; i += 1) starts.start(() => started.push(i));
    // Nothing starts inside the turn that queued them.
    expect(started).toEqual([]);
    expect(starts.waiting).toBe(10);

    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(starts.waiting).toBe(0);
  });

  it('starts a call that comes once the queue is empty in the next turn', async () => {
    const started: string[] = [];
    const starts = new PacedStarts(2, () => undefined);
    starts.start(() => started.push('first'));
    await nextTurn();
    starts.start(() => started.push('later'));
    await nextTurn();
    expect(started).toEqual(['first', 'later']);
  });

  it('queues a call queued by a running start behind those already waiting', async () => {
    const started: string[] = [];
    const starts = new PacedStarts(2, () => undefined);
    starts.start(() => {
      started.push('a');
      starts.start(() => started.push('queued by a'));
    });
    starts.start(() => started.push('b'));
    starts.start(() => started.push('c'));
    await nextTurn();
    expect(started).toEqual(['a', 'b']);
    await nextTurn();
    expect(started).toEqual(['a', 'b', 'c', 'queued by a']);
  });

  it('reports a start that throws and still starts the others', async () => {
    const onError = vi.fn();
    const failure = new Error('start failed');
    const started: number[] = [];
    const starts = new PacedStarts(2, onError);
    starts.start(() => {
      throw failure;
    });
    for (let i = 1; i < 5; i += 1) starts.start(() => started.push(i));
    await nextTurn();
    await nextTurn();
    await nextTurn();
    expect(onError).toHaveBeenCalledExactlyOnceWith(failure);
    expect(started).toEqual([1, 2, 3, 4]);
  });

  it('still starts the others when the reporter of a failed start throws too', async () => {
    const started: number[] = [];
    const starts = new PacedStarts(4, () => {
      throw new Error('the reporter failed');
    });
    starts.start(() => {
      throw new Error('start failed');
    });
    for (let i = 1; i < 4; i += 1) starts.start(() => started.push(i));
    await nextTurn();
    expect(started).toEqual([1, 2, 3]);
    expect(starts.waiting).toBe(0);
  });

  it('runs every call in the async context the pacer was made in, never in that of another call', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const starts = new PacedStarts(1, () => undefined);
    // The first call queued inside a context schedules the turns; the others are queued
    // outside any, one of them from a timer.
    storage.run('context of the first call', () => {
      starts.start(() => seen.push(storage.getStore()));
    });
    starts.start(() => seen.push(storage.getStore()));
    await new Promise<void>((resolve) => {
      setTimeout(() => {
        starts.start(() => seen.push(storage.getStore()));
        resolve();
      }, 0);
    });
    for (let turn = 0; turn < 3; turn += 1) await nextTurn();
    expect(seen).toEqual([undefined, undefined, undefined]);
    storage.disable();
  });

  it('keeps the order across the compaction of a long queue', async () => {
    const started: number[] = [];
    const starts = new PacedStarts(1500, () => undefined);
    for (let i = 0; i < 5000; i += 1) starts.start(() => started.push(i));
    for (let turn = 0; turn < 4; turn += 1) await nextTurn();
    expect(started).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(starts.waiting).toBe(0);
  });

  it('refuses a perTurn that is not a positive integer', () => {
    for (const perTurn of [0, -1, 1.5, Number.NaN]) {
      expect(() => new PacedStarts(perTurn, () => undefined)).toThrow(/positive integer/);
    }
  });
});
