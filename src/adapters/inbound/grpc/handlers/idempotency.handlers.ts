import type { ExternalIdempotency } from '../../../../application/idempotency/external-idempotency.js';
import type { BeginResult } from '../../../../domain/idempotency/idempotency-record.js';
import {
  type BeginResponse,
  IdempotencyState,
  type IdempotencyServiceServer,
} from '../generated/wemaster/core/v1/idempotency.js';
import type { AsyncService } from '../unary-handler.js';

function toBeginResponse(result: BeginResult): BeginResponse {
  const empty = { storedResponse: undefined, leaseToken: '', leaseExpireTime: undefined };
  switch (result.state) {
    case 'new':
      return {
        ...empty,
        state: IdempotencyState.IDEMPOTENCY_STATE_NEW,
        leaseToken: result.leaseToken,
        leaseExpireTime: result.leaseExpiresAt,
      };
    case 'in_progress':
      return { ...empty, state: IdempotencyState.IDEMPOTENCY_STATE_IN_PROGRESS };
    case 'mismatch':
      return { ...empty, state: IdempotencyState.IDEMPOTENCY_STATE_MISMATCH };
    case 'completed':
      return {
        ...empty,
        state: IdempotencyState.IDEMPOTENCY_STATE_COMPLETED,
        storedResponse: {
          response: Buffer.from(result.outcome.body ?? new Uint8Array()),
          status: result.outcome.code,
          truncated: result.outcome.truncated,
        },
      };
  }
}

export function idempotencyHandlers(
  ledger: ExternalIdempotency,
): AsyncService<IdempotencyServiceServer> {
  return {
    begin: async (request, ctx) => toBeginResponse(await ledger.begin(ctx.requireActor(), request)),
    complete: async (request, ctx) => {
      await ledger.complete(ctx.requireActor(), request);
      return {};
    },
    release: async (request, ctx) => {
      await ledger.release(ctx.requireActor(), request.key, request.scope, request.leaseToken);
      return {};
    },
  };
}
