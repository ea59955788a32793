import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from '../../../src/domain/idempotency/idempotency-key.js';

describe('idempotency keys', () => {
  it.each(['a', 'order-42', ' spaced ', '~!@#$%^&*()', 'x'.repeat(255)])('accepts %j', (key) => {
    expect(parseIdempotencyKey('idempotency-key', key)).toBe(key);
  });

  it.each(['', 'x'.repeat(256), 'tab\there', 'new\nline', 'é', '\u0000'])(
    'refuses %j naming the metadata entry',
    (key) => {
      expect(() => parseIdempotencyKey('idempotency-key', key)).toThrow(/^idempotency-key: /);
    },
  );
});
