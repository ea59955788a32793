import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  type DomainError,
  type ErrorCategory,
  isDomainError,
} from '../../../domain/shared/errors.js';
import type { Any } from './generated/google/protobuf/any.js';
import { BadRequest, ErrorInfo, RetryInfo } from './generated/google/rpc/error_details.js';
import { Status } from './generated/google/rpc/status.js';

export const ERROR_DOMAIN = 'core.wemaster.dev';

/** The one table from error category to gRPC status. */
const STATUS_BY_CATEGORY: Record<ErrorCategory, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  permission_denied: status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  aborted: status.ABORTED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  unimplemented: status.UNIMPLEMENTED,
};

const pack = (typeName: string, value: Uint8Array): Any => ({
  typeUrl: `type.googleapis.com/${typeName}`,
  value: Buffer.from(value),
});

function detailsOf(error: DomainError): Any[] {
  const details = [
    pack(
      'google.rpc.ErrorInfo',
      ErrorInfo.encode({
        reason: error.code,
        domain: ERROR_DOMAIN,
        metadata: { ...error.metadata },
      }).finish(),
    ),
  ];
  const field = error.metadata.field;
  if (error.category === 'invalid_argument' && field !== undefined) {
    const violation = { field, description: error.message, reason: error.code };
    details.push(
      pack('google.rpc.BadRequest', BadRequest.encode({ fieldViolations: [violation] }).finish()),
    );
  }
  const retryAfterMs = Number(error.metadata.retryAfterMs);
  if (Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
    const retryDelay = {
      seconds: Math.floor(retryAfterMs / 1000),
      nanos: (retryAfterMs % 1000) * 1_000_000,
    };
    details.push(pack('google.rpc.RetryInfo', RetryInfo.encode({ retryDelay }).finish()));
  }
  return details;
}

/** A stored numeric code as a gRPC status (UNKNOWN when it is not one). */
export function grpcStatus(code: number): status {
  const name = status[code] as keyof typeof status | undefined;
  return name === undefined ? status.UNKNOWN : status[name];
}

/** A status replayed byte for byte from the idempotency store. */
export class ReplayedStatus extends Error {
  override readonly name = 'ReplayedStatus';

  constructor(
    readonly code: status,
    message: string,
    readonly details: Uint8Array | undefined,
  ) {
    super(message);
  }
}

/** The gRPC status an error ends in: its category's, or INTERNAL when unexpected. */
export const statusOf = (error: unknown): status => {
  if (error instanceof ReplayedStatus) return error.code;
  return isDomainError(error) ? STATUS_BY_CATEGORY[error.category] : status.INTERNAL;
};

/** `grpc-status-details-bin` of an error, as sent: what a replay must send again. */
export function statusDetailsOf(error: unknown): Uint8Array | undefined {
  if (error instanceof ReplayedStatus) return error.details;
  if (!isDomainError(error)) return undefined;
  const code = STATUS_BY_CATEGORY[error.category];
  return Status.encode({ code, message: error.message, details: detailsOf(error) }).finish();
}

/**
 * Domain errors become their status with `google.rpc.Status` details; anything else becomes
 * INTERNAL naming only the request id: stacks and SQL stay in the log.
 */
export function toServiceError(
  error: unknown,
  requestId: string,
): Partial<ServiceError> & { code: status; details: string } {
  if (!isDomainError(error) && !(error instanceof ReplayedStatus)) {
    return { code: status.INTERNAL, details: `internal error (request id ${requestId})` };
  }
  const trailers = new Metadata();
  const details = statusDetailsOf(error);
  if (details !== undefined) trailers.set('grpc-status-details-bin', Buffer.from(details));
  // Failed calls may carry no headers to the client: say it in the trailers too.
  if (error instanceof ReplayedStatus) trailers.set('idempotent-replayed', 'true');
  return { code: statusOf(error), details: error.message, metadata: trailers };
}
