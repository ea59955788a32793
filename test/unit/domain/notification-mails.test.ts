import { describe, expect, it } from 'vitest';

import {
  emailVerificationMail,
  passwordResetMail,
} from '../../../src/domain/notification/notification.js';

const TOKEN = '0a000000-0000-4000-8000-00000000000a.AbC-_x';
const AT = new Date('2030-01-01T00:00:00.000Z');

describe('recovery mails', () => {
  it('carry the token only, without an app address', () => {
    for (const mail of [
      passwordResetMail('a@x.test', TOKEN, AT),
      emailVerificationMail('a@x.test', TOKEN, AT),
    ]) {
      expect(mail.bodyText).toContain(TOKEN);
      expect(mail.bodyText).not.toContain('http');
    }
  });

  it('link to the web app page for the token when an address is given (trailing slash or not)', () => {
    expect(passwordResetMail('a@x.test', TOKEN, AT, 'https://app.test/').bodyText).toContain(
      `https://app.test/reset-password?token=${TOKEN}`,
    );
    expect(
      emailVerificationMail('a@x.test', TOKEN, AT, 'https://app.test/base').bodyText,
    ).toContain(`https://app.test/base/verify-email?token=${TOKEN}`);
    expect(passwordResetMail('a@x.test', 'a b&c', AT, 'https://app.test').bodyText).toContain(
      'https://app.test/reset-password?token=a%20b%26c',
    );
  });
});
