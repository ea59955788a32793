/** A mail to one recipient, plain text. */
export interface OutgoingMail {
  readonly kind: string;
  readonly recipient: string;
  readonly subject: string;
  readonly bodyText: string;
}

/**
 * Queues mail in the caller's transaction (an outbox): it is sent after, and only if, that
 * transaction commits.
 */
export interface Notifier {
  notify(mail: OutgoingMail): Promise<void>;
}

/** A queued mail claimed for sending. */
export interface ClaimedMail extends OutgoingMail {
  readonly tenantId: string;
  readonly id: string;
  readonly attempts: number;
}

/** The outbox as the dispatcher sees it: every tenant's due mail. */
export interface OutboxQueue {
  /** Claims up to `limit` due messages for `leaseMs` (no other dispatcher gets them meanwhile). */
  claim(limit: number, leaseMs: number): Promise<readonly ClaimedMail[]>;
  markSent(mail: ClaimedMail): Promise<void>;
  /** Records a failed attempt; the message is due again after `retryInMs`. */
  markFailed(mail: ClaimedMail, error: string, retryInMs: number): Promise<void>;
}

/** Outbox mail not sent yet, across tenants (for metrics). */
export interface OutboxBacklog {
  /** Not sent yet, attempts left. */
  readonly pending: number;
  /** Not sent, attempts exhausted: given up. */
  readonly failed: number;
}

/** Delivers one mail (SMTP, or a log and a dev mailbox). */
export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
}
