import { describe, expect, it } from 'vitest';
import { RandomIdGenerator } from '../../../src/adapters/outbound/crypto/random-id-generator.js';
import { SystemClock } from '../../../src/adapters/outbound/crypto/system-clock.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const timestampOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('RandomIdGenerator (UUIDv7)', () => {
  it('makes lowercase RFC 9562 version 7, variant 10 ids', () => {
    const ids = new RandomIdGenerator();
    for (let i = 0; i < 2000; i += 1) expect(ids.newId()).toMatch(V7);
  });

  it('puts the Unix milliseconds in the first 48 bits', () => {
    const ms = Date.UTC(2025, 5, 1, 12, 0, 0, 123);
    const id = new RandomIdGenerator(() => ms).newId();
    expect(timestampOf(id)).toBe(ms);
    expect(id.slice(0, 13)).toBe(
      `${ms.toString(16).padStart(12, '0').slice(0, 8)}-${ms.toString(16).padStart(12, '0').slice(8)}`,
    );
    const before = Date.now();
    const now = new RandomIdGenerator().newId();
    expect(timestampOf(now)).toBeGreaterThanOrEqual(before);
    expect(timestampOf(now)).toBeLessThanOrEqual(Date.now());
  });

  it('handles the ends of the 48-bit range', () => {
    expect(new RandomIdGenerator(() => 0).newId()).toMatch(/^00000000-0000-7/);
    expect(new RandomIdGenerator(() => 2 ** 48 - 1).newId()).toMatch(/^ffffffff-ffff-7/);
    expect(new RandomIdGenerator(() => Number.NaN).newId()).toMatch(V7);
  });

  it('sorts ids from later milliseconds after earlier ones', () => {
    let ms = 1_700_000_000_000;
    const ids = new RandomIdGenerator(() => ms);
    const made: string[] = [];
    for (let i = 0; i < 1000; i += 1) {
      made.push(ids.newId());
      ms += 1 + (i % 3 === 0 ? 1000 : 0);
    }
    expect([...made].sort()).toEqual(made);
    // Crossing a hex-digit carry in the timestamp still sorts.
    const carry = new RandomIdGenerator(() => 0xffffffff);
    const after = new RandomIdGenerator(() => 0x100000000);
    expect(carry.newId() < after.newId()).toBe(true);
  });

  it('does not repeat, and the random part is random', () => {
    const ids = new RandomIdGenerator(() => 42);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i += 1) seen.add(ids.newId());
    expect(seen.size).toBe(20_000);
    // Every hex digit where the bits are random, and all four variant digits, turn up.
    const digitsAt = (position: number): Set<string> =>
      new Set([...seen].map((id) => id.charAt(position)));
    expect(digitsAt(15).size).toBe(16);
    expect([...digitsAt(19)].sort()).toEqual(['8', '9', 'a', 'b']);
    expect(digitsAt(20).size).toBe(16);
    // The variant's two random bits and the next digit are independent bits: all 64 pairs.
    expect(new Set([...seen].map((id) => id.slice(19, 21))).size).toBe(64);
    expect(digitsAt(35).size).toBe(16);
  });

  it('SystemClock tells the current time', () => {
    const before = Date.now();
    const now = new SystemClock().now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
