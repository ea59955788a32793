import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';

const RECONNECT_DELAY_MS = 1_000;

/**
 * One LISTEN/NOTIFY channel shared by every replica on a database: a dedicated connection
 * listens (and reconnects after a second when it is lost); publishing goes through the pool.
 * `onListening` runs on every (re)connection: whatever was announced while the connection was
 * down is unknown, so caches that rely on the channel should be dropped then.
 */
export class PgChannel {
  private readonly messageListeners: ((payload: string) => void)[] = [];
  private readonly listeningListeners: (() => void)[] = [];
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly url: string,
    private readonly knex: Knex,
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    return this.connect();
  }

  /**
   * Fire and forget: a failed broadcast is logged; caches fall back on their TTL. Sent after
   * the callbacks now running (setImmediate), so that the caller's answer is not held up by
   * starting it: other replicas hear of it a few milliseconds later anyway.
   */
  publish(payload: string): void {
    setImmediate(() => {
      this.knex.raw('select pg_notify(?, ?)', [this.name, payload]).then(
        () => undefined,
        (error: unknown) => {
          this.logger.warn(
            { err: error, channel: this.name },
            'could not broadcast a notification',
          );
        },
      );
    });
  }

  onMessage(listener: (payload: string) => void): void {
    this.messageListeners.push(listener);
  }

  onListening(listener: () => void): void {
    this.listeningListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: `wemaster-listen-${this.name}`,
    });
    client.on('notification', (message) => {
      if (message.channel !== this.name || message.payload === undefined) return;
      for (const listener of this.messageListeners) listener(message.payload);
    });
    const lost = (error?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.closed) return;
      this.logger.warn(
        { err: error, channel: this.name },
        'listener lost its connection; reconnecting',
      );
      this.reconnectTimer = setTimeout(() => {
        this.connect().catch((reconnectError: unknown) => {
          lost(reconnectError instanceof Error ? reconnectError : undefined);
        });
      }, RECONNECT_DELAY_MS).unref();
    };
    client.on('error', lost);
    client.on('end', () => {
      lost();
    });
    this.client = client;
    await client.connect();
    await client.query(`LISTEN ${this.name}`);
    for (const listener of this.listeningListeners) listener();
  }
}
