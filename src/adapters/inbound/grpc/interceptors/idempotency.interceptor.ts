import { hash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { IdempotentRunner } from '../../../../application/idempotency/idempotent-runner.js';
import { parseIdempotencyKey } from '../../../../domain/idempotency/idempotency-key.js';
import type { StoredOutcome } from '../../../../domain/idempotency/idempotency-record.js';
import {
  idempotencyKeyRequired,
  idempotencyResponseNotKept,
} from '../../../../domain/idempotency/idempotency.errors.js';
import { SerializedResponse, type CallContext } from '../call-context.js';
import { grpcStatus, ReplayedStatus, statusDetailsOf, statusOf } from '../error-mapping.js';
import type { Interceptor } from '../interceptor.js';

/** Client mistakes that a retry would repeat: kept and replayed. Everything else frees the key. */
const DETERMINISTIC = new Set<status>([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.FAILED_PRECONDITION,
  status.PERMISSION_DENIED,
  status.OUT_OF_RANGE,
]);

export interface IdempotencyInterceptorOptions {
  readonly defaultRetentionMs: number;
}

function failureOutcomeOf(error: unknown): StoredOutcome | undefined {
  const code = statusOf(error);
  if (!DETERMINISTIC.has(code)) return undefined;
  const message = error instanceof Error ? error.message : '';
  return { code, body: undefined, message, details: statusDetailsOf(error), truncated: false };
}

function replay(ctx: CallContext, outcome: StoredOutcome): unknown {
  ctx.responseHeaders['idempotent-replayed'] = 'true';
  const code = grpcStatus(outcome.code);
  if (code !== status.OK) {
    throw new ReplayedStatus(code, outcome.message, outcome.details);
  }
  const { body } = outcome;
  if (body === undefined) throw idempotencyResponseNotKept();
  // A view, not a copy: the stored bytes never change, and grpc-js copies them into the frame.
  return new SerializedResponse(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

/**
 * One effect per `idempotency-key` for every method with side effects: the scope is (acting
 * tenant, caller, method), the fingerprint a SHA-256 of the request's bytes. Anonymous calls
 * (public methods such as Login) have no scope to key on and run as usual.
 */
export function idempotencyInterceptor(
  runner: IdempotentRunner,
  options: IdempotencyInterceptorOptions,
): Interceptor {
  return async (ctx, next) => {
    const { method } = ctx;
    if (!method.sideEffects || ctx.malformedRequest) return next();
    const raw = ctx.header('idempotency-key');
    if (raw === undefined) {
      if (method.idempotency.keyRequired) throw idempotencyKeyRequired();
      return next();
    }
    const key = parseIdempotencyKey('idempotency-key', raw);
    const actor = ctx.actor;
    if (actor === undefined) return next();
    // The bytes the client sent: a retry sends the same ones, and they need no encoding again.
    const fingerprint = hash('sha256', ctx.requestBytes, 'hex');
    const scope = {
      tenantId: actor.tenantId,
      principalId: actor.principal.subjectId,
      operation: method.path,
    };
    const { waitForResult } = method.idempotency;
    // The response's bytes as kept in the ledger: sent as they are, not encoded a second time.
    const encoded: { response?: unknown; bytes?: Buffer } = {};
    // Most retries of a completed call are answered from memory: no awaits, no call object.
    const remembered = runner.replayFromMemory(scope, key, fingerprint, waitForResult);
    if (remembered !== undefined) return replay(ctx, remembered);
    const ran = await runner.run({
      scope,
      key,
      fingerprint,
      retentionMs: method.idempotency.retentionMs ?? options.defaultRetentionMs,
      waitForResult,
      // Made only if a retry waits for the first call's result.
      get signal() {
        return ctx.signal;
      },
      execute: next,
      outcomeOf: (response) => {
        const bytes = ctx.codec.responseSerialize(response);
        encoded.response = response;
        encoded.bytes = bytes;
        return { code: status.OK, body: bytes, message: '', details: undefined, truncated: false };
      },
      failureOutcomeOf,
    });
    if (!ran.executed) return replay(ctx, ran.replay);
    return encoded.bytes !== undefined && encoded.response === ran.result
      ? new SerializedResponse(encoded.bytes)
      : ran.result;
  };
}
