import { InvalidArgumentError } from '../shared/errors.js';

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** 1..max printable ASCII characters (the IETF Idempotency-Key rule for keys). */
export function parsePrintableAscii(field: string, raw: string, max: number): string {
  if (raw === '') throw new InvalidArgumentError(field, 'is required');
  if (raw.length > max) throw new InvalidArgumentError(field, `must be at most ${max} characters`);
  if (!PRINTABLE_ASCII.test(raw)) {
    throw new InvalidArgumentError(field, 'must be printable ASCII');
  }
  return raw;
}

export const parseIdempotencyKey = (field: string, raw: string): string =>
  parsePrintableAscii(field, raw, 255);
