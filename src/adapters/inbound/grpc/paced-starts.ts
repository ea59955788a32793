import { AsyncResource } from 'node:async_hooks';

/**
 * Starts calls at most `perTurn` per event-loop turn, first come first served.
 *
 * A call is complete for its client with its trailers. grpc-js sends them only once the
 * response message has been written, and Node's HTTP/2 session writes what arrives then in its
 * next write, at the end of the event-loop turn. Calls started straight from the read that
 * brought them all get their trailers in that one write: the first call of a burst of 30
 * completes with the 30th, and the client, with nothing to complete meanwhile, sits idle while
 * the server works, then the server while the client works. Started a few per turn, each
 * turn's write completes the previous few calls, so client and server work at the same time
 * (on the bench's two cores: about a third more calls per second at 16 and 64 in flight, for
 * the same CPU per call).
 */
export class PacedStarts {
  private queue: ((() => void) | undefined)[] = [];
  private head = 0;
  private scheduled = false;
  /**
   * Every turn's starts run in the async context this was made in: a timer inherits the
   * context it was set from, and a call's chain must never inherit that of another call (an
   * AsyncLocalStorage such as the request transaction's would join them).
   */
  private readonly scope = new AsyncResource('PacedStarts');

  /**
   * `perTurn`: how many calls start per turn. One per turn would make a write per call; a few
   * keep writes grouped. `onError` hears of a start that threw (the others still start).
   */
  constructor(
    private readonly perTurn: number,
    private readonly onError: (error: unknown) => void,
  ) {
    if (!Number.isInteger(perTurn) || perTurn < 1) {
      throw new Error('paced starts: perTurn must be a positive integer');
    }
  }

  /** Runs `start` in this turn's check phase, or a later turn's when others are waiting. */
  start(start: () => void): void {
    this.queue.push(start);
    if (!this.scheduled) this.schedule();
  }

  /** Calls waiting to start (for tests and metrics). */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  private schedule(): void {
    this.scheduled = true;
    setImmediate(this.drainInScope);
  }

  private readonly drainInScope = (): void => {
    this.scope.runInAsyncScope(this.drain);
  };

  private readonly drain = (): void => {
    this.scheduled = false;
    const end = Math.min(this.queue.length, this.head + this.perTurn);
    // Scheduled before any start runs: nothing a start does can leave the rest waiting.
    if (end < this.queue.length) this.schedule();
    while (this.head < end) {
      const start = this.queue[this.head];
      // Not kept alive by the queue once started.
      this.queue[this.head] = undefined;
      this.head += 1;
      try {
        start?.();
      } catch (error) {
        try {
          this.onError(error);
        } catch {
          // A reporter that fails must not leave the rest of this turn's calls unstarted.
        }
      }
    }
    // Started entries are dropped in batches, not one shift (O(n)) at a time.
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  };
}
