import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SmtpMailSender } from '../../../src/adapters/outbound/mail/smtp-mail-sender.js';

/** The smallest SMTP server nodemailer talks to (no TLS, no auth): records each DATA body. */
function fakeSmtp(received: { from: string; to: string[]; data: string }[]): Server {
  return createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current = { from: '', to: [] as string[], data: '' };
    const reply = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    reply('220 fake.smtp ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(current);
          current = { from: '', to: [], data: '' };
          reply('250 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 fake.smtp');
        else if (verb === 'MAIL') {
          current.from = line;
          reply('250 ok');
        } else if (verb === 'RCPT') {
          current.to.push(line);
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 go on');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
  });
}

describe('SmtpMailSender', () => {
  const received: { from: string; to: string[]; data: string }[] = [];
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = fakeSmtp(received);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a plain-text mail from MAIL_FROM to the recipient', async () => {
    const sender = new SmtpMailSender(
      `smtp://127.0.0.1:${String(port)}`,
      'WeMaster <no-reply@wemaster.test>',
    );
    await sender.send({
      kind: 'password_reset',
      recipient: 'ada@example.test',
      subject: 'Reset your password',
      bodyText: 'Reset token: abc',
    });
    sender.close();
    expect(received).toHaveLength(1);
    expect(received[0]?.from).toContain('no-reply@wemaster.test');
    expect(received[0]?.to.join()).toContain('ada@example.test');
    expect(received[0]?.data).toContain('Subject: Reset your password');
    expect(received[0]?.data).toContain('Reset token: abc');
  });
});
