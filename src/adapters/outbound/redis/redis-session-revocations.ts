import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import type { SessionRevocations } from '../../../domain/identity/session-store.port.js';

const CHANNEL = 'wemaster:session-revocations';
const IDS_PER_MESSAGE = 100;
const WARN_INTERVAL_MS = 10_000;

/**
 * Session revocations across replicas through Redis pub/sub, when Redis is configured (the
 * Postgres LISTEN/NOTIFY adapter otherwise). Local listeners hear a revocation at once. The
 * subscriber is a duplicate connection (a subscribed connection can do nothing else); every
 * time it becomes ready again the listeners are reset, since messages sent meanwhile are lost.
 * A publish while Redis is down is logged and dropped: other replicas then notice within their
 * liveness cache TTL, from the database.
 */
export class RedisSessionRevocations implements SessionRevocations {
  private readonly listeners: ((sessionId: string) => void)[] = [];
  private readonly resetListeners: (() => void)[] = [];
  private subscriber: RedisClientType | undefined;
  private lastWarning = 0;

  constructor(
    private readonly client: RedisClientType,
    private readonly logger: Logger,
    private readonly channel: string = CHANNEL,
  ) {}

  async start(): Promise<void> {
    const subscriber = this.client.duplicate();
    subscriber.on('error', (error: unknown) => {
      this.warn(error, 'session revocation subscriber problem');
    });
    subscriber.on('ready', () => {
      this.reset();
    });
    await subscriber.connect();
    await subscriber.subscribe(this.channel, (message: string) => {
      for (const id of message.split(',')) if (id !== '') this.emit(id);
    });
    this.subscriber = subscriber;
    this.reset();
  }

  revoked(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.emit(id);
    for (let i = 0; i < sessionIds.length; i += IDS_PER_MESSAGE) {
      const message = sessionIds.slice(i, i + IDS_PER_MESSAGE).join(',');
      this.client.publish(this.channel, message).then(
        () => undefined,
        (error: unknown) => {
          this.warn(error, 'could not broadcast a session revocation');
        },
      );
    }
  }

  onRevoked(listener: (sessionId: string) => void): void {
    this.listeners.push(listener);
  }

  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber === undefined) return;
    await subscriber.close().catch(() => {
      subscriber.destroy();
    });
  }

  private emit(sessionId: string): void {
    for (const listener of this.listeners) listener(sessionId);
  }

  private reset(): void {
    for (const listener of this.resetListeners) listener();
  }

  private warn(error: unknown, message: string): void {
    if (Date.now() - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error }, message);
  }
}
