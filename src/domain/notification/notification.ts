import type { OutgoingMail } from './notifier.port.js';

/**
 * The page of the web app that takes a token, when the app's public address is configured
 * (the token travels in the mail body only).
 */
const linkTo = (appBaseUrl: string | undefined, page: string, token: string): string[] =>
  appBaseUrl === undefined
    ? []
    : [`Open: ${appBaseUrl.replace(/\/+$/, '')}/${page}?token=${encodeURIComponent(token)}`, ''];

/** The mail carrying a password reset token. */
export const passwordResetMail = (
  recipient: string,
  token: string,
  expiresAt: Date,
  appBaseUrl?: string,
): OutgoingMail => ({
  kind: 'password_reset',
  recipient,
  subject: 'Reset your password',
  bodyText: [
    'Someone asked to reset the password of this account.',
    '',
    ...linkTo(appBaseUrl, 'reset-password', token),
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
  appBaseUrl?: string,
): OutgoingMail => ({
  kind: 'email_verification',
  recipient,
  subject: 'Verify your email address',
  bodyText: [
    'Confirm that this address is yours.',
    '',
    ...linkTo(appBaseUrl, 'verify-email', token),
    `Verification token: ${token}`,
    '',
    `It works once, until ${expiresAt.toISOString()}.`,
  ].join('\n'),
});
