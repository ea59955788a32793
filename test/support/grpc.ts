import {
  credentials,
  Metadata,
  type Client,
  type ServiceError,
  type CallOptions,
  type ClientUnaryCall,
} from '@grpc/grpc-js';
import { Any } from '../../src/adapters/inbound/grpc/generated/google/protobuf/any.js';
import { BadRequest, ErrorInfo } from '../../src/adapters/inbound/grpc/generated/google/rpc/error_details.js';
import { Status } from '../../src/adapters/inbound/grpc/generated/google/rpc/status.js';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

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

/** Calls a generated client method, resolving with the response and the response headers. */
export function callWithHeaders<C extends Client, Req, Res>(
  client: C,
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata = new Metadata(),
): Promise<UnaryResult<Res>> {
  return new Promise((resolve, reject) => {
    let headers = new Metadata();
    const call = method.call(client, request, metadata, { deadline: Date.now() + 20_000 }, (error, response) => {
      if (error) reject(error);
      else resolve({ response, headers });
    });
    call.on('metadata', (received: Metadata) => {
      headers = received;
    });
  });
}

export async function call<C extends Client, Req, Res>(
  client: C,
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata?: Metadata,
): Promise<Res> {
  return (await callWithHeaders(client, method, request, metadata)).response;
}

export interface DecodedError {
  readonly code: number;
  readonly message: string;
  readonly reason: string | undefined;
  readonly fieldViolations: readonly string[];
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
    return {
      code: serviceError.code,
      message: serviceError.details,
      reason: info === undefined ? undefined : ErrorInfo.decode(info.value).reason,
      fieldViolations:
        badRequest === undefined
          ? []
          : BadRequest.decode(badRequest.value).fieldViolations.map((violation) => violation.field),
      metadata: serviceError.metadata,
    };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
