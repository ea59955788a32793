import type { ServerUnaryCall } from '@grpc/grpc-js';

// Timers cannot wait longer than 2^31-1 ms; a deadline that far away is no deadline.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When a call stops mattering to its client: cancelled, or past its deadline. The AbortSignal
 * is made only when someone asks for it (a waiting idempotent retry): an AbortController, a
 * listener and a timer per call are a measurable share of a cheap call's cost.
 */
export class CallLifetime {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = (): void => {
    this.controller?.abort();
  };

  constructor(private readonly call: ServerUnaryCall<unknown, unknown>) {}

  /** Cancelled by the client, or its deadline has passed. */
  get over(): boolean {
    return this.call.cancelled || this.remainingMs() <= 0;
  }

  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    this.controller = new AbortController();
    const remaining = this.remainingMs();
    if (this.call.cancelled || remaining <= 0) {
      this.controller.abort();
    } else {
      this.call.once('cancelled', this.abort);
      if (remaining <= MAX_TIMER_MS) this.timer = setTimeout(this.abort, remaining).unref();
    }
    return this.controller.signal;
  }

  dispose(): void {
    if (this.controller === undefined) return;
    clearTimeout(this.timer);
    this.call.removeListener('cancelled', this.abort);
  }

  private remainingMs(): number {
    const deadline = this.call.getDeadline();
    return (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
  }
}
