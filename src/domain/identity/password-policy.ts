import { InvalidArgumentError } from '../shared/errors.js';

export interface PasswordPolicy {
  readonly minLength: number;
  readonly maxLength: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 12, maxLength: 128 };

/** The most used passwords long enough to pass the length rule; lowercase. */
const COMMON = new Set([
  'password1234',
  'password12345',
  'password123456',
  '123456789012',
  '1234567890123',
  'qwertyuiop12',
  'qwerty123456',
  '111111111111',
  '000000000000',
  'iloveyou1234',
  'administrator',
  'letmein12345',
  'welcome12345',
  'passwordpassword',
  'changeme1234',
]);

/** Checks a new password. Never echoes it back in the error. */
export function checkNewPassword(field: string, password: string, policy: PasswordPolicy): string {
  const length = Array.from(password).length;
  if (length < policy.minLength) {
    throw new InvalidArgumentError(field, `must be at least ${policy.minLength} characters`);
  }
  if (length > policy.maxLength) {
    throw new InvalidArgumentError(field, `must be at most ${policy.maxLength} characters`);
  }
  if (COMMON.has(password.toLowerCase())) {
    throw new InvalidArgumentError(field, 'is one of the most common passwords');
  }
  return password;
}

/** Bounds a presented password before it reaches the (expensive) hasher. */
export function checkPresentedPassword(field: string, password: string): string {
  if (password === '') throw new InvalidArgumentError(field, 'is required');
  if (password.length > 1024) throw new InvalidArgumentError(field, 'is too long');
  return password;
}
