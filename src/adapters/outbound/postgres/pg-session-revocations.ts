import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import type { SessionRevocations } from '../../../domain/identity/session-store.port.js';

const CHANNEL = 'wemaster_session_revocations';
const RECONNECT_DELAY_MS = 1_000;
/** Session ids per notification: a NOTIFY payload must stay under 8000 bytes. */
const IDS_PER_NOTIFY = 100;

/**
 * Session revocations across every replica on one database, through LISTEN/NOTIFY (the
 * pattern of PgTenantChanges). Local listeners hear a revocation at once; other replicas when
 * the notification arrives. Every (re)connection resets the listeners: while the listening
 * connection was down they may have missed revocations, so liveness caches are dropped and
 * rebuilt from the database.
 */
export class PgSessionRevocations implements SessionRevocations {
  private readonly listeners: ((sessionId: string) => void)[] = [];
  private readonly resetListeners: (() => void)[] = [];
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly knex: Knex,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  revoked(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.emit(id);
    for (let i = 0; i < sessionIds.length; i += IDS_PER_NOTIFY) {
      const payload = sessionIds.slice(i, i + IDS_PER_NOTIFY).join(',');
      this.knex.raw('select pg_notify(?, ?)', [CHANNEL, payload]).then(
        () => undefined,
        (error: unknown) => {
          this.logger.warn({ err: error }, 'could not broadcast a session revocation');
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
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private emit(sessionId: string): void {
    for (const listener of this.listeners) listener(sessionId);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'wemaster-listen-sessions',
    });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || message.payload === undefined) return;
      for (const id of message.payload.split(',')) if (id !== '') this.emit(id);
    });
    const lost = (error?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.closed) return;
      this.logger.warn(
        { err: error },
        'session revocation listener lost its connection; reconnecting',
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
    await client.query(`LISTEN ${CHANNEL}`);
    // Listening again: whatever was announced while deaf is unknown, so forget what was vouched for.
    for (const listener of this.resetListeners) listener();
  }
}
