import type {
  ClaimedMail,
  MailSender,
  OutboxQueue,
} from '../../domain/notification/notifier.port.js';

export interface OutboxDispatcherOptions {
  /** Messages claimed per round. */
  readonly batchSize: number;
  /** How long a claim keeps other dispatchers away from a message. */
  readonly leaseMs: number;
  /** Back-off before a failed message is due again (times the attempts made). */
  readonly retryMs: number;
  /** The queue's attempt cap: a message failing its last attempt is given up. */
  readonly maxAttempts: number;
  readonly onError: (error: unknown) => void;
  /** A message failed its last attempt and will not be sent (someone should look). */
  readonly onGaveUp: (mail: ClaimedMail, error: unknown) => void;
}

/**
 * Sends due outbox mail through the `MailSender`, on every replica at once without sending a
 * message twice in the normal case (claims are exclusive and leased; a replica dying between
 * sending and marking sends it again when the lease ends: at least once).
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly queue: OutboxQueue,
    private readonly sender: MailSender,
    private readonly options: OutboxDispatcherOptions,
  ) {}

  /** One round: claims a batch and sends it; returns how many were sent. */
  async dispatchOnce(): Promise<number> {
    const claimed = await this.queue.claim(this.options.batchSize, this.options.leaseMs);
    let sent = 0;
    for (const mail of claimed) {
      try {
        await this.sender.send(mail);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await this.queue.markFailed(mail, message, this.options.retryMs * mail.attempts);
        if (mail.attempts >= this.options.maxAttempts) this.options.onGaveUp(mail, error);
        else this.options.onError(error);
        continue;
      }
      await this.queue.markSent(mail);
      sent += 1;
    }
    return sent;
  }

  start(intervalMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.dispatchOnce()
        .catch((error: unknown) => {
          this.options.onError(error);
          return 0;
        })
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a round in flight. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
