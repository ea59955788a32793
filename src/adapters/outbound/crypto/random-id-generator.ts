import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '../../../domain/shared/id-generator.port.js';

/** Random bytes per id: 74 of their 80 bits are used, the rest give way to version and variant. */
const RANDOM_BYTES = 10;
const ID_CHARS = 36;
const PREFIX_CHARS = 14;
const POOL_IDS = 256;
const MAX_TIMESTAMP = 2 ** 48 - 1;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;
const VERSION_7 = 0x37; // '7'

/**
 * UUIDv7 (RFC 9562): 48-bit big-endian Unix milliseconds, version 7, variant 0b10, and 74
 * random bits. Ids made in later milliseconds sort after earlier ones, as strings and as
 * Postgres `uuid` values, so they index well as primary keys. Made on every decision of a
 * CheckMany: random bytes come from a pool filled in one go, and each id's text is written as
 * bytes (the timestamp part once per millisecond) and read back as one flat string. Joined from pieces, it would be a rope that every
 * reader (the response encoder, a Map) first has to copy flat.
 */
export class RandomIdGenerator implements IdGenerator {
  private readonly random = Buffer.alloc(RANDOM_BYTES * POOL_IDS);
  private randomOffset = this.random.length;
  /** The id being made; its first 14 bytes, `tttttttt-tttt-`, are those of `prefixMs`. */
  private readonly text = Buffer.alloc(ID_CHARS);
  private prefixMs = Number.NaN;

  /** `nowMs` is the Unix time in milliseconds; injectable for tests. */
  constructor(private readonly nowMs: () => number = Date.now) {}

  newId(): string {
    if (this.randomOffset >= this.random.length) {
      randomFillSync(this.random);
      this.randomOffset = 0;
    }
    const r = this.random;
    const at = this.randomOffset;
    this.randomOffset += RANDOM_BYTES;
    this.updatePrefix();
    const out = this.text;
    let w = PREFIX_CHARS;
    // 7xxx: the version, then 12 random bits.
    out[w++] = VERSION_7;
    out[w++] = hexDigit(r[at] ?? 0);
    w = writeHexByte(out, w, r[at + 1] ?? 0);
    out[w++] = DASH;
    // yxxx: the variant 0b10 and 2 random bits, then 12 random bits.
    const variantByte = r[at + 2] ?? 0;
    out[w++] = hexDigit(8 | ((variantByte >> 6) & 3));
    out[w++] = hexDigit(variantByte);
    w = writeHexByte(out, w, r[at + 3] ?? 0);
    out[w++] = DASH;
    // 48 random bits.
    for (let i = 4; i < RANDOM_BYTES; i += 1) w = writeHexByte(out, w, r[at + i] ?? 0);
    // A copy: the next id is written over these bytes.
    return out.toString('latin1', 0, ID_CHARS);
  }

  /** The first 14 characters, for the current millisecond. */
  private updatePrefix(): void {
    const now = Math.floor(this.nowMs());
    // An unreadable clock gives the epoch, never an id that is not a UUID.
    const ms = Number.isFinite(now) ? Math.min(Math.max(now, 0), MAX_TIMESTAMP) : 0;
    if (ms === this.prefixMs) return;
    const hex = ms.toString(16).padStart(12, '0');
    this.text.write(`${hex.slice(0, 8)}-${hex.slice(8)}-`, 0, 'latin1');
    this.prefixMs = ms;
  }
}

/** The hex digit of the low 4 bits. */
const hexDigit = (value: number): number => HEX[value & 15] ?? 0x30;

function writeHexByte(out: Buffer, at: number, byte: number): number {
  out[at] = hexDigit(byte >> 4);
  out[at + 1] = hexDigit(byte);
  return at + 2;
}
