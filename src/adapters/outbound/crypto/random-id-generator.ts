import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '../../../domain/shared/id-generator.port.js';

/** Random hex digits per id: the 20 of 10 bytes, 6 of whose bits give way to version and variant. */
const RANDOM_HEX = 20;
const POOL_IDS = 256;
const MAX_TIMESTAMP = 2 ** 48 - 1;
/** The variant's first hex digit (0b10xx) for any random hex digit. */
const VARIANT = new Map(
  Array.from({ length: 16 }, (_, digit) => [digit.toString(16), ((digit & 3) + 8).toString(16)]),
);

/**
 * UUIDv7 (RFC 9562): 48-bit big-endian Unix milliseconds, version 7, variant 0b10, and 74
 * random bits. Ids made in later milliseconds sort after earlier ones, as strings and as
 * Postgres `uuid` values, so they index well as primary keys. Made on every decision of a
 * CheckMany, so the random part is cut from a pool turned into hex text in one go, and the
 * timestamp part is reused within a millisecond.
 */
export class RandomIdGenerator implements IdGenerator {
  private readonly pool = Buffer.alloc((RANDOM_HEX / 2) * POOL_IDS);
  private hex = '';
  private offset = 0;
  private prefixMs = Number.NaN;
  private prefix = '';

  /** `nowMs` is the Unix time in milliseconds; injectable for tests. */
  constructor(private readonly nowMs: () => number = Date.now) {}

  newId(): string {
    if (this.offset >= this.hex.length) {
      randomFillSync(this.pool);
      this.hex = this.pool.toString('hex');
      this.offset = 0;
    }
    const h = this.hex;
    const o = this.offset;
    this.offset += RANDOM_HEX;
    // Digit o is replaced by the version, digit o+4 mapped onto the variant.
    return `${this.timestampPrefix()}7${h.slice(o + 1, o + 4)}-${VARIANT.get(h.charAt(o + 4)) ?? '8'}${h.slice(o + 5, o + 8)}-${h.slice(o + 8, o + RANDOM_HEX)}`;
  }

  /** `tttttttt-tttt-` for the current millisecond. */
  private timestampPrefix(): string {
    const now = Math.floor(this.nowMs());
    // An unreadable clock gives the epoch, never an id that is not a UUID.
    const ms = Number.isFinite(now) ? Math.min(Math.max(now, 0), MAX_TIMESTAMP) : 0;
    if (ms !== this.prefixMs) {
      const hex = ms.toString(16).padStart(12, '0');
      this.prefix = `${hex.slice(0, 8)}-${hex.slice(8)}-`;
      this.prefixMs = ms;
    }
    return this.prefix;
  }
}
