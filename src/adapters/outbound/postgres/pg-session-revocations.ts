import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { SessionRevocations } from '../../../domain/identity/session-store.port.js';
import { PgChannel } from './pg-channel.js';

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
  private readonly channel: PgChannel;

  constructor(
    url: string,
    knex: Knex,
    logger: Logger,
    /** Another channel carries another kind of id (e.g. subject changes). */
    channel = 'wemaster_session_revocations',
  ) {
    this.channel = new PgChannel(channel, url, knex, logger);
    this.channel.onMessage((payload) => {
      for (const id of payload.split(',')) if (id !== '') this.emit(id);
    });
  }

  start(): Promise<void> {
    return this.channel.start();
  }

  revoked(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.emit(id);
    for (let i = 0; i < sessionIds.length; i += IDS_PER_NOTIFY) {
      this.channel.publish(sessionIds.slice(i, i + IDS_PER_NOTIFY).join(','));
    }
  }

  onRevoked(listener: (sessionId: string) => void): void {
    this.listeners.push(listener);
  }

  /** On every (re)connection: revocations announced while deaf are unknown. */
  onReset(listener: () => void): void {
    this.channel.onListening(listener);
  }

  close(): Promise<void> {
    return this.channel.close();
  }

  private emit(sessionId: string): void {
    for (const listener of this.listeners) listener(sessionId);
  }
}
