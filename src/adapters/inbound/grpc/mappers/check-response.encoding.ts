import { BinaryWriter } from '@bufbuild/protobuf/wire';
import {
  DecisionReason,
  type CheckManyResponse,
  type CheckResponse,
} from '../generated/wemaster/core/v1/authorization.js';

/**
 * Check and CheckMany responses, encoded like the generated encoders do (same bytes), except
 * that a reason's bytes are kept per reason object: the mapper shares one reason per engine
 * decision, so a repeated question costs its decision id and a copy, not its summary's UTF-8
 * encoding again. A length-delimited message field and a bytes field are the same on the wire.
 */
const encodedReasons = new WeakMap<DecisionReason, Uint8Array>();

function reasonBytes(reason: DecisionReason): Uint8Array {
  let bytes = encodedReasons.get(reason);
  if (bytes === undefined) {
    bytes = DecisionReason.encode(reason).finish();
    encodedReasons.set(reason, bytes);
  }
  return bytes;
}

function writeCheckResponse(message: CheckResponse, writer: BinaryWriter): void {
  if (message.allowed) writer.uint32(8).bool(true);
  if (message.decisionId !== '') writer.uint32(18).string(message.decisionId);
  if (message.reason !== undefined) writer.uint32(26).bytes(reasonBytes(message.reason));
}

/** `finish()` returns a fresh array: wrapped, not copied again. */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function encodeCheckResponse(message: CheckResponse): Buffer {
  const writer = new BinaryWriter();
  writeCheckResponse(message, writer);
  return asBuffer(writer.finish());
}

export function encodeCheckManyResponse(message: CheckManyResponse): Buffer {
  const writer = new BinaryWriter();
  for (const result of message.results) {
    writer.uint32(10).fork();
    writeCheckResponse(result, writer);
    writer.join();
  }
  return asBuffer(writer.finish());
}
