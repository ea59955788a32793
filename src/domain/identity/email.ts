import { InvalidArgumentError } from '../shared/errors.js';

const MAX_EMAIL_LENGTH = 254;
// Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by
// verification mail, not by a regular expression.
const SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Returns the email as given (trimmed) and its normalised form used for uniqueness. */
export function parseEmail(field: string, raw: string): { email: string; normalized: string } {
  const email = raw.trim();
  if (email === '') throw new InvalidArgumentError(field, 'is required');
  if (email.length > MAX_EMAIL_LENGTH) {
    throw new InvalidArgumentError(field, `must be at most ${MAX_EMAIL_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
  if (!SHAPE.test(email) || /[\u0000-\u001f\u007f]/.test(email)) {
    throw new InvalidArgumentError(field, 'is not an email address');
  }
  return { email, normalized: normalizeEmail(email) };
}

export const normalizeEmail = (email: string): string =>
  email.trim().normalize('NFC').toLowerCase();
