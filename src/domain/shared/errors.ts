/**
 * Business failures are values with a stable code and a category. The category alone decides
 * the transport status (one table per inbound adapter); the code is what clients branch on.
 */
export type ErrorCategory =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'permission_denied'
  | 'unauthenticated'
  | 'resource_exhausted'
  | 'unavailable'
  | 'aborted'
  | 'deadline_exceeded'
  | 'unimplemented';

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly category: ErrorCategory,
    readonly code: string,
    message: string,
    /** Safe to show to the caller: never secrets, passwords or tokens. */
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** A malformed input. `field` is the request field path as the client wrote it. */
export class InvalidArgumentError extends DomainError {
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super('invalid_argument', 'INVALID_ARGUMENT', `${field}: ${description}`, { field });
  }

  /** The same error about the field inside a parent (`items[3].` + `permission`). */
  within(parentPath: string): InvalidArgumentError {
    return new InvalidArgumentError(`${parentPath}${this.field}`, this.description);
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
