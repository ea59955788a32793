import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { TenantChanges } from '../../../domain/tenancy/tenant-changes.port.js';
import { afterCommit } from './after-commit.js';
import { PgChannel } from './pg-channel.js';

/**
 * Tenant change announcements across every replica on one database, through LISTEN/NOTIFY,
 * after the change has committed.
 * Local listeners hear a change at once; other replicas when the notification arrives (a few
 * milliseconds). While the listening connection is down, caches fall back on their TTL.
 */
export class PgTenantChanges implements TenantChanges {
  private readonly listeners: ((tenantId: string) => void)[] = [];
  private readonly channel: PgChannel;

  constructor(url: string, knex: Knex, logger: Logger) {
    this.channel = new PgChannel('wemaster_tenant_changes', url, knex, logger);
    this.channel.onMessage((tenantId) => {
      this.emit(tenantId);
    });
  }

  start(): Promise<void> {
    return this.channel.start();
  }

  changed(tenantId: string): void {
    // Inside a request transaction (an idempotent call) only once it has committed: announced
    // earlier, a read in between would cache the old row again until its TTL.
    afterCommit(() => {
      this.emit(tenantId);
      this.channel.publish(tenantId);
    });
  }

  onChange(listener: (tenantId: string) => void): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    return this.channel.close();
  }

  private emit(tenantId: string): void {
    for (const listener of this.listeners) listener(tenantId);
  }
}
