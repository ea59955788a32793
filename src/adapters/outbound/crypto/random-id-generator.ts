import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '../../../domain/shared/id-generator.port.js';

const POOL_IDS = 128;
const MAX_TIMESTAMP = 2 ** 48 - 1;

/**
 * UUIDv7 (RFC 9562): 48-bit big-endian Unix milliseconds, version 7, variant 0b10, and 74
 * random bits. Ids made in later milliseconds sort after earlier ones, as strings and as
 * Postgres `uuid` values, so they index well as primary keys.
 */
export class RandomIdGenerator implements IdGenerator {
  private readonly pool = Buffer.alloc(16 * POOL_IDS);
  private offset = this.pool.length;

  /** `nowMs` is the Unix time in milliseconds; injectable for tests. */
  constructor(private readonly nowMs: () => number = Date.now) {}

  newId(): string {
    if (this.offset >= this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const bytes = Buffer.from(this.pool.subarray(this.offset, this.offset + 16));
    this.offset += 16;

    const ms = Math.min(Math.max(Math.floor(this.nowMs()), 0), MAX_TIMESTAMP);
    bytes.writeUIntBE(ms, 0, 6);
    bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f); // version 7
    bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // variant 0b10

    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
