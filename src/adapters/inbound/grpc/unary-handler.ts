import { randomUUID } from 'node:crypto';
import {
  Metadata,
  type MethodDefinition,
  type handleUnaryCall,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { CallContext, SerializedResponse, type MessageCodec } from './call-context.js';
import { CallLifetime } from './call-lifetime.js';
import { toServiceError } from './error-mapping.js';
import { composeInterceptors, type Interceptor } from './interceptor.js';
import { InvalidArgumentError } from '../../../domain/shared/errors.js';
import type { RegisteredService } from './grpc-server.js';
import type { MethodInfo } from './method-catalog.js';
import type { PacedStarts } from './paced-starts.js';

/** The handler shape application-facing code writes: no callbacks, a typed context. */
export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/** A generated grpc-js server interface, with every method as an async handler. */
export type AsyncService<S> = {
  // `as` drops the generated interfaces' inherited string index signature.
  [K in keyof S as string extends K ? never : K]: S[K] extends handleUnaryCall<infer Req, infer Res>
    ? UnaryHandler<Req, Res>
    : never;
};

/** What a request that failed to decode becomes, so the chain can refuse it. */
const MALFORMED_REQUEST = Symbol('malformed request');

/** A request as grpc-js hands it over: decoded, with the bytes it came as. */
class ReceivedRequest {
  constructor(
    readonly message: unknown,
    readonly bytes: Buffer,
  ) {}
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's request id for tracing when it is sane; otherwise mints one. */
function requestIdOf(metadata: Metadata): string {
  const [given] = metadata.get('x-request-id');
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Adapts async handlers to grpc-js, running each call through the interceptor chain inside
 * its AsyncLocalStorage context. Every method must be in the catalog (so it has an access rule).
 */
export class CallPipeline {
  constructor(
    private readonly catalog: ReadonlyMap<string, MethodInfo>,
    private readonly interceptors: readonly Interceptor[],
    /** When each call's chain starts: a few per event-loop turn (see `PacedStarts`). */
    private readonly starts: PacedStarts,
  ) {}

  /**
   * A grpc-js service whose handlers run through the chain. Undecodable request bytes become
   * INVALID_ARGUMENT inside the chain (logged and counted) instead of grpc-js's bare INTERNAL.
   */
  service<S>(
    name: string,
    definition: ServiceDefinition,
    handlers: AsyncService<S>,
  ): RegisteredService {
    const guarded: Record<string, MethodDefinition<unknown, unknown>> = {};
    const implementation: Record<string, handleUnaryCall<unknown, unknown>> = {};
    for (const [key, method] of Object.entries(definition)) {
      const info = this.catalog.get(method.path);
      if (info === undefined) throw new Error(`${method.path} is not in the method catalog`);
      const handler = (handlers as Record<string, UnaryHandler<unknown, unknown> | undefined>)[key];
      if (handler === undefined) throw new Error(`${method.path} has no handler`);
      guarded[key] = {
        ...method,
        responseSerialize: (response: unknown): Buffer =>
          response instanceof SerializedResponse
            ? response.bytes
            : method.responseSerialize(response),
        requestDeserialize: (bytes: Buffer): ReceivedRequest => {
          try {
            return new ReceivedRequest(method.requestDeserialize(bytes), bytes);
          } catch {
            return new ReceivedRequest(MALFORMED_REQUEST, bytes);
          }
        },
      };
      implementation[key] = this.unary(info, method as MessageCodec, handler);
    }
    return { name, definition: guarded, implementation };
  }

  private unary(
    info: MethodInfo,
    codec: MessageCodec,
    handler: UnaryHandler<unknown, unknown>,
  ): handleUnaryCall<unknown, unknown> {
    const run = composeInterceptors(this.interceptors, (request, ctx) => {
      if (request === MALFORMED_REQUEST) {
        throw new InvalidArgumentError('request', 'is not a valid protobuf message');
      }
      return handler(request, ctx);
    });
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const receivedAt = process.hrtime.bigint();
      const requestId = requestIdOf(call.metadata);
      const lifetime = new CallLifetime(call);
      const received = call.request as ReceivedRequest;
      const ctx = new CallContext(
        requestId,
        info,
        codec,
        received.message,
        received.bytes,
        call.metadata,
        call.getPeer(),
        lifetime,
        received.message === MALFORMED_REQUEST,
        receivedAt,
      );
      const sendHeaders = (): void => {
        const headers = new Metadata();
        headers.set('x-request-id', requestId);
        for (const [name, value] of Object.entries(ctx.responseHeaders)) headers.set(name, value);
        call.sendMetadata(headers);
      };
      this.starts.start(() => {
        // Never throws: whatever the chain throws, even synchronously, becomes the answer.
        void (async () => run(ctx, received.message))().then(
          (response) => {
            lifetime.dispose();
            sendHeaders();
            callback(null, response);
          },
          (error: unknown) => {
            lifetime.dispose();
            sendHeaders();
            callback(toServiceError(error, requestId));
          },
        );
      });
    };
  }
}
