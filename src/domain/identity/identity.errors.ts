import { DomainError } from '../shared/errors.js';

/** One message for unknown tenant, unknown email, wrong password and disabled user. */
export const invalidCredentials = (): DomainError =>
  new DomainError('unauthenticated', 'INVALID_CREDENTIALS', 'invalid credentials');

export const userEmailTaken = (): DomainError =>
  new DomainError('already_exists', 'USER_EMAIL_TAKEN', 'a user with this email already exists');

export const invalidToken = (why: string): DomainError =>
  new DomainError('unauthenticated', 'INVALID_TOKEN', `invalid access token: ${why}`);

/** Also what a caller gets for another tenant's user: existence is not revealed. */
export const userNotFound = (): DomainError =>
  new DomainError('not_found', 'USER_NOT_FOUND', 'user not found');

/**
 * Self sign-up refused. The same error for a tenant that does not exist, is not active, or
 * does not allow self sign-up, so anonymous callers cannot probe which tenants exist.
 */
export const selfSignUpDisabled = (): DomainError =>
  new DomainError(
    'permission_denied',
    'SELF_SIGN_UP_DISABLED',
    'self sign-up is not available for this tenant',
  );

/**
 * The stored password hash changed while a presented password was being checked against it (a
 * login stored a stronger hash of it, or a reset replaced it): retrying checks it afresh.
 */
export const passwordChangedMeanwhile = (): DomainError =>
  new DomainError(
    'aborted',
    'PASSWORD_CHANGED_MEANWHILE',
    'the password changed while this call was checking it; retry',
  );

export const cannotDisableSelf = (): DomainError =>
  new DomainError('failed_precondition', 'CANNOT_DISABLE_SELF', 'users cannot disable themselves');
