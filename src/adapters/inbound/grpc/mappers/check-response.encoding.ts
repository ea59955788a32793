import {
  CheckManyResponse,
  CheckResponse,
  DecisionReason,
} from '../generated/wemaster/core/v1/authorization.js';

/*
 * Check and CheckMany responses, written as the generated encoders write them (the same bytes,
 * a test compares them), but sized first into one buffer, and with each reason's bytes kept per
 * reason object: the mapper shares one reason per engine decision, so a repeated question costs
 * its decision id and a copy, not its summary's encoding again.
 *
 * CheckResponse: 1 allowed (bool, omitted when false), 2 decision_id (string, omitted when
 * empty), 3 reason (DecisionReason). CheckManyResponse: 1 results (repeated CheckResponse).
 */

const ALLOWED_TRUE = [0x08, 0x01] as const; // field 1, varint, 1
const DECISION_ID_TAG = 0x12; // field 2, length-delimited
const REASON_TAG = 0x1a; // field 3, length-delimited
const RESULT_TAG = 0x0a; // field 1 of CheckManyResponse, length-delimited

/** A reason as field 3 of a CheckResponse: tag, length, message bytes. */
const taggedReasons = new WeakMap<DecisionReason, Buffer>();

function taggedReason(reason: DecisionReason): Buffer {
  let tagged = taggedReasons.get(reason);
  if (tagged === undefined) {
    const bytes = DecisionReason.encode(reason).finish();
    tagged = Buffer.allocUnsafe(1 + varintSize(bytes.length) + bytes.length);
    tagged[0] = REASON_TAG;
    tagged.set(bytes, writeVarint(tagged, 1, bytes.length));
    taggedReasons.set(reason, tagged);
  }
  return tagged;
}

const varintSize = (n: number): number =>
  n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;

/** Writes an unsigned 32-bit varint at `at`; returns the position after it. */
function writeVarint(buffer: Buffer, at: number, value: number): number {
  let n = value >>> 0;
  let position = at;
  while (n > 0x7f) {
    buffer[position++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buffer[position++] = n;
  return position;
}

/** One response's parts and its encoded size (without an enclosing tag). */
interface Sized {
  readonly message: CheckResponse;
  readonly reason: Buffer | undefined;
  readonly size: number;
}

/**
 * Sized as if the decision id were ASCII (one byte per character in UTF-8): decision ids are
 * UUIDs, so their characters are copied as they are written instead of asking the native UTF-8
 * encoder for a size and then the bytes, per result. `write` finds out otherwise.
 */
function sized(message: CheckResponse): Sized {
  const idBytes = message.decisionId.length;
  const reason = message.reason === undefined ? undefined : taggedReason(message.reason);
  const size =
    (message.allowed ? ALLOWED_TRUE.length : 0) +
    (idBytes === 0 ? 0 : 1 + varintSize(idBytes) + idBytes) +
    (reason?.length ?? 0);
  return { message, reason, size };
}

const NOT_ASCII = -1;

/** Returns the position after the response, or NOT_ASCII (the buffer is then of no use). */
function write(buffer: Buffer, at: number, { message, reason }: Sized): number {
  let position = at;
  if (message.allowed) {
    buffer[position++] = ALLOWED_TRUE[0];
    buffer[position++] = ALLOWED_TRUE[1];
  }
  const id = message.decisionId;
  if (id.length !== 0) {
    buffer[position++] = DECISION_ID_TAG;
    position = writeVarint(buffer, position, id.length);
    for (let i = 0; i < id.length; i += 1) {
      const code = id.charCodeAt(i);
      if (code > 0x7f) return NOT_ASCII;
      buffer[position++] = code;
    }
  }
  if (reason !== undefined) {
    reason.copy(buffer, position);
    position += reason.length;
  }
  return position;
}

export function encodeCheckResponse(message: CheckResponse): Buffer {
  const parts = sized(message);
  const buffer = Buffer.allocUnsafe(parts.size);
  if (write(buffer, 0, parts) === NOT_ASCII) {
    return Buffer.from(CheckResponse.encode(message).finish());
  }
  return buffer;
}

export function encodeCheckManyResponse(message: CheckManyResponse): Buffer {
  const results = message.results.map(sized);
  let total = 0;
  for (const { size } of results) total += 1 + varintSize(size) + size;
  const buffer = Buffer.allocUnsafe(total);
  let position = 0;
  for (const result of results) {
    buffer[position++] = RESULT_TAG;
    position = writeVarint(buffer, position, result.size);
    position = write(buffer, position, result);
    if (position === NOT_ASCII) return Buffer.from(CheckManyResponse.encode(message).finish());
  }
  return buffer;
}
