import nodemailer, { type Transporter } from 'nodemailer';

import type { MailSender, OutgoingMail } from '../../../domain/notification/notifier.port.js';

/** Mail over SMTP (nodemailer), from `from`, to a server given as an smtp:// or smtps:// URL. */
export class SmtpMailSender implements MailSender {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: mail.recipient,
      subject: mail.subject,
      text: mail.bodyText,
    });
  }

  close(): void {
    this.transport.close();
  }
}
