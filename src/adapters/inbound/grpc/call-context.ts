import type { Metadata } from '@grpc/grpc-js';
import type { Actor } from '../../../application/shared/actor.js';
import { authenticationRequired } from '../../../domain/authorization/authorization.errors.js';
import type { MethodInfo } from './method-catalog.js';

/** The method's own response serializer, for stored responses. */
export interface MessageCodec {
  responseSerialize(response: unknown): Buffer;
}

/**
 * What the interceptors learn about a call, handed to the handler. Filled only by the
 * server's own interceptors, never copied from client metadata.
 */
export class CallContext {
  actor: Actor | undefined;
  /** Extra response headers (e.g. `idempotent-replayed`). */
  readonly responseHeaders: Record<string, string> = {};

  constructor(
    readonly requestId: string,
    readonly method: MethodInfo,
    readonly codec: MessageCodec,
    readonly request: unknown,
    /** The request as received, before decoding (the idempotency fingerprint hashes these). */
    readonly requestBytes: Buffer,
    readonly metadata: Metadata,
    readonly peer: string,
    private readonly lifetime: { readonly over: boolean; readonly signal: AbortSignal },
    /** The request bytes did not decode; the chain refuses the call before the handler. */
    readonly malformedRequest: boolean,
    /** `process.hrtime.bigint()` when the call arrived, before it waited for its start. */
    readonly receivedAt: bigint,
  ) {}

  /** Cancelled by the client, or past its deadline. */
  get over(): boolean {
    return this.lifetime.over;
  }

  /** Aborts when the client cancels or the deadline passes (made on first use). */
  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  /** The authenticated actor; only absent on public methods. */
  requireActor(): Actor {
    if (this.actor === undefined) throw authenticationRequired();
    return this.actor;
  }

  /** A single-valued string metadata entry, or undefined. */
  header(name: string): string | undefined {
    const [value] = this.metadata.get(name);
    return typeof value === 'string' ? value : undefined;
  }
}

/**
 * A response that is already bytes (a replayed one): sent as is instead of being decoded only
 * to be encoded again.
 */
export class SerializedResponse {
  constructor(readonly bytes: Buffer) {}
}
