import type { Logger } from 'pino';

import type { MailSender, OutgoingMail } from '../../../domain/notification/notifier.port.js';

/** A delivered mail as the dev mailbox keeps it. */
export interface DeliveredMail extends OutgoingMail {
  readonly deliveredAt: Date;
}

/**
 * Where mail goes when no SMTP server is configured: kept in process memory (the newest
 * `capacity` messages) for a developer or a test to read; never written to the log.
 */
export class DevMailbox {
  private readonly messages: DeliveredMail[] = [];

  constructor(private readonly capacity = 1000) {}

  deliver(mail: OutgoingMail): void {
    this.messages.push({ ...mail, deliveredAt: new Date() });
    if (this.messages.length > this.capacity) this.messages.shift();
  }

  /** Every kept message, oldest first; only those to `recipient` when given. */
  list(recipient?: string): readonly DeliveredMail[] {
    return recipient === undefined
      ? [...this.messages]
      : this.messages.filter((mail) => mail.recipient.toLowerCase() === recipient.toLowerCase());
  }
}

/**
 * The embedded default: mail is delivered into a `DevMailbox`; the log says only that a
 * message of a kind went out (no recipient's secret, no body: bodies carry tokens).
 */
export class LogMailSender implements MailSender {
  constructor(
    private readonly logger: Logger,
    readonly mailbox: DevMailbox = new DevMailbox(),
  ) {}

  send(mail: OutgoingMail): Promise<void> {
    this.mailbox.deliver(mail);
    this.logger.info(
      { kind: mail.kind, subject: mail.subject },
      'mail delivered to the dev mailbox (no SMTP_URL set)',
    );
    return Promise.resolve();
  }
}
