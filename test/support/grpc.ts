import { randomUUID } from 'node:crypto';
import {
  credentials,
  Metadata,
  type Client,
  type ServiceError,
  type CallOptions,
  type ClientUnaryCall,
} from '@grpc/grpc-js';
import type { Any } from '../../src/adapters/inbound/grpc/generated/google/protobuf/any.js';
import {
  BadRequest,
  ErrorInfo,
  RetryInfo,
} from '../../src/adapters/inbound/grpc/generated/google/rpc/error_details.js';
import { Status } from '../../src/adapters/inbound/grpc/generated/google/rpc/status.js';

/** Names of a generated client's RPC methods (everything it adds to grpc-js's Client). */
export type UnaryName<C> = Exclude<keyof C, keyof Client> & string;

// The last overload of a generated method is (request, metadata, options, callback).
type RequestOf<M> = M extends (
  request: infer Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: never,
) => ClientUnaryCall
  ? Req
  : never;
type ResponseOf<M> = M extends (
  request: never,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: infer Res) => void,
) => ClientUnaryCall
  ? Res
  : never;

export interface UnaryResult<Res> {
  readonly response: Res;
  readonly headers: Metadata;
}

export const insecure = credentials.createInsecure();

export function metadataOf(entries: Record<string, string>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

export const bearer = (token: string, extra: Record<string, string> = {}): Metadata =>
  metadataOf({ authorization: `Bearer ${token}`, ...extra });

/** Calls a generated client method by name, resolving with the response and response headers. */
export function callWithHeaders<C extends Client, K extends UnaryName<C>>(
  client: C,
  method: K,
  request: RequestOf<C[K]>,
  metadata: Metadata = new Metadata(),
): Promise<UnaryResult<ResponseOf<C[K]>>> {
  return new Promise((resolve, reject) => {
    let headers = new Metadata();
    const invoke = client[method] as unknown as (
      this: C,
      request: RequestOf<C[K]>,
      metadata: Metadata,
      options: Partial<CallOptions>,
      callback: (error: ServiceError | null, response: ResponseOf<C[K]>) => void,
    ) => ClientUnaryCall;
    const call = invoke.call(
      client,
      request,
      metadata,
      { deadline: Date.now() + 20_000 },
      (error, response) => {
        if (error) reject(error);
        else resolve({ response, headers });
      },
    );
    call.on('metadata', (received: Metadata) => {
      headers = received;
    });
  });
}

export async function call<C extends Client, K extends UnaryName<C>>(
  client: C,
  method: K,
  request: RequestOf<C[K]>,
  metadata?: Metadata,
): Promise<ResponseOf<C[K]>> {
  return (await callWithHeaders(client, method, request, metadata)).response;
}

export interface DecodedError {
  readonly code: number;
  readonly message: string;
  readonly reason: string | undefined;
  readonly fieldViolations: readonly string[];
  /** `google.rpc.RetryInfo.retry_delay` in milliseconds, when the error carries one. */
  readonly retryDelayMs: number | undefined;
  readonly metadata: Metadata;
}

/** Runs a call expected to fail and decodes its status and `google.rpc` details. */
export async function failureOf(promise: Promise<unknown>): Promise<DecodedError> {
  try {
    await promise;
  } catch (error) {
    const serviceError = error as ServiceError;
    const [bin] = serviceError.metadata.get('grpc-status-details-bin');
    const details = bin instanceof Buffer ? Status.decode(bin).details : [];
    const find = (type: string): Any | undefined =>
      details.find((detail) => detail.typeUrl === `type.googleapis.com/google.rpc.${type}`);
    const info = find('ErrorInfo');
    const badRequest = find('BadRequest');
    const retryInfo = find('RetryInfo');
    const retryDelay =
      retryInfo === undefined ? undefined : RetryInfo.decode(retryInfo.value).retryDelay;
    return {
      code: serviceError.code,
      message: serviceError.details,
      reason: info === undefined ? undefined : ErrorInfo.decode(info.value).reason,
      fieldViolations:
        badRequest === undefined
          ? []
          : BadRequest.decode(badRequest.value).fieldViolations.map((violation) => violation.field),
      retryDelayMs:
        retryDelay === undefined
          ? undefined
          : retryDelay.seconds * 1000 + Math.round(retryDelay.nanos / 1_000_000),
      metadata: serviceError.metadata,
    };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Metadata entry with a fresh idempotency key (required by e.g. CreateTenant). */
export const freshKey = (): Record<string, string> => ({ 'idempotency-key': randomUUID() });
