import { EventEmitter } from 'node:events';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { CallLifetime } from '../../../src/adapters/inbound/grpc/call-lifetime.js';

class FakeCall extends EventEmitter {
  cancelled = false;
  constructor(private readonly deadline: Date | number) {
    super();
  }
  getDeadline(): Date | number {
    return this.deadline;
  }
}

const lifetimeOf = (call: FakeCall): CallLifetime =>
  new CallLifetime(call as unknown as ServerUnaryCall<unknown, unknown>);

describe('CallLifetime', () => {
  it('is over once the deadline has passed, with or without a signal', () => {
    const past = lifetimeOf(new FakeCall(Date.now() - 1));
    expect(past.over).toBe(true);
    expect(past.signal.aborted).toBe(true);
    expect(lifetimeOf(new FakeCall(Infinity)).over).toBe(false);
  });

  it('makes no listener or timer until the signal is asked for', () => {
    const call = new FakeCall(new Date(Date.now() + 60_000));
    const lifetime = lifetimeOf(call);
    expect(lifetime.over).toBe(false);
    expect(call.listenerCount('cancelled')).toBe(0);
    expect(lifetime.signal.aborted).toBe(false);
    expect(call.listenerCount('cancelled')).toBe(1);
    lifetime.dispose();
    expect(call.listenerCount('cancelled')).toBe(0);
  });

  it('aborts the signal when the client cancels', () => {
    const call = new FakeCall(Infinity);
    const lifetime = lifetimeOf(call);
    const { signal } = lifetime;
    call.cancelled = true;
    call.emit('cancelled');
    expect(signal.aborted).toBe(true);
    expect(lifetime.over).toBe(true);
  });

  it('aborts the signal when the deadline passes while waiting', async () => {
    const lifetime = lifetimeOf(new FakeCall(Date.now() + 30));
    const aborted = new Promise<void>((resolve) => {
      lifetime.signal.addEventListener('abort', () => {
        resolve();
      });
    });
    await aborted;
    expect(lifetime.over).toBe(true);
  });
});
