import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import type { TenantChanges } from '../../../domain/tenancy/tenant-changes.port.js';

const CHANNEL = 'wemaster_tenant_changes';
const RECONNECT_DELAY_MS = 1_000;

/**
 * Tenant change announcements across every replica on one database, through LISTEN/NOTIFY.
 * Local listeners hear a change at once; other replicas when the notification arrives (a few
 * milliseconds). While the listening connection is down, caches fall back on their TTL.
 */
export class PgTenantChanges implements TenantChanges {
  private readonly listeners: ((tenantId: string) => void)[] = [];
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

  changed(tenantId: string): void {
    this.emit(tenantId);
    this.knex.raw('select pg_notify(?, ?)', [CHANNEL, tenantId]).then(
      () => undefined,
      (error: unknown) => {
        this.logger.warn({ err: error, tenantId }, 'could not broadcast a tenant change');
      },
    );
  }

  onChange(listener: (tenantId: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private emit(tenantId: string): void {
    for (const listener of this.listeners) listener(tenantId);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'wemaster-listen',
    });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload !== undefined) this.emit(message.payload);
    });
    const lost = (error?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.closed) return;
      this.logger.warn({ err: error }, 'tenant change listener lost its connection; reconnecting');
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
  }
}
