import { DomainError } from '../shared/errors.js';

/** One message for unknown tenant, unknown email, wrong password and disabled user. */
export const invalidCredentials = (): DomainError =>
  new DomainError('unauthenticated', 'INVALID_CREDENTIALS', 'invalid credentials');

export const userEmailTaken = (): DomainError =>
  new DomainError('already_exists', 'USER_EMAIL_TAKEN', 'a user with this email already exists');

export const invalidToken = (why: string): DomainError =>
  new DomainError('unauthenticated', 'INVALID_TOKEN', `invalid access token: ${why}`);
