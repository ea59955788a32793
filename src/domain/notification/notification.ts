import type { OutgoingMail } from './notifier.port.js';

/** The mail carrying a password reset token. */
export const passwordResetMail = (
  recipient: string,
  token: string,
  expiresAt: Date,
): OutgoingMail => ({
  kind: 'password_reset',
  recipient,
  subject: 'Reset your password',
  bodyText: [
    'Someone asked to reset the password of this account.',
    '',
    `Reset token: ${token}`,
    '',
    `It works once, until ${expiresAt.toISOString()}. If it was not you, ignore this mail.`,
  ].join('\n'),
});

/** The mail carrying an email verification token. */
export const emailVerificationMail = (
  recipient: string,
  token: string,
  expiresAt: Date,
): OutgoingMail => ({
  kind: 'email_verification',
  recipient,
  subject: 'Verify your email address',
  bodyText: [
    'Confirm that this address is yours.',
    '',
    `Verification token: ${token}`,
    '',
    `It works once, until ${expiresAt.toISOString()}.`,
  ].join('\n'),
});
