import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AesGcmSecretBox,
  generateMasterKey,
  parseMasterKey,
} from '../../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('AesGcmSecretBox', () => {
  const key = randomBytes(32);
  const box = new AesGcmSecretBox(key);

  it('round-trips, with a fresh nonce each time', () => {
    for (const plaintext of [text(''), text('hello'), randomBytes(10_000)]) {
      const sealed = box.seal(plaintext);
      expect(sealed.length).toBe(1 + 12 + plaintext.length + 16);
      expect(sealed[0]).toBe(1);
      expect(Buffer.from(box.open(sealed))).toEqual(Buffer.from(plaintext));
    }
    expect(Buffer.from(box.seal(text('same')))).not.toEqual(Buffer.from(box.seal(text('same'))));
  });

  it('throws on any tampered byte', () => {
    const sealed = box.seal(text('top secret'));
    for (let i = 0; i < sealed.length; i += 1) {
      const copy = Uint8Array.from(sealed);
      copy[i] = (copy[i] ?? 0) ^ 0x01;
      expect(() => box.open(copy), `byte ${i}`).toThrow();
    }
    expect(() => box.open(sealed.subarray(0, sealed.length - 1))).toThrow();
    expect(() => box.open(new Uint8Array(0))).toThrow();
    expect(() => box.open(new Uint8Array(28))).toThrow();
  });

  it('throws under another key or another purpose', () => {
    const sealed = box.seal(text('top secret'));
    expect(() => new AesGcmSecretBox(randomBytes(32)).open(sealed)).toThrow(/tampered|another key/);
    expect(() => box.withPurpose('webhook-secret').open(sealed)).toThrow();
    const signing = new AesGcmSecretBox(key, { purpose: 'signing-key' });
    expect(new TextDecoder().decode(signing.open(signing.seal(text('k'))))).toBe('k');
    expect(() => box.open(signing.seal(text('k')))).toThrow();
  });

  it('does not share the caller key buffer', () => {
    const k = randomBytes(32);
    const b = new AesGcmSecretBox(k);
    const sealed = b.seal(text('x'));
    k.fill(0);
    expect(new TextDecoder().decode(b.open(sealed))).toBe('x');
  });

  it('refuses keys of the wrong size', () => {
    expect(() => new AesGcmSecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('parseMasterKey / generateMasterKey', () => {
  it('generates 32 random bytes as base64 that parse back', () => {
    const a = generateMasterKey();
    expect(a).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(parseMasterKey(a)).toHaveLength(32);
    expect(a).not.toBe(generateMasterKey());
  });

  it('accepts base64, base64url (padded or not) and hex', () => {
    const raw = randomBytes(32);
    for (const encoded of [
      raw.toString('base64'),
      raw.toString('base64').replace(/=+$/, ''),
      raw.toString('base64url'),
      `${raw.toString('base64url')}=`,
      raw.toString('hex'),
      raw.toString('hex').toUpperCase(),
      `  ${raw.toString('base64')}\n`,
    ]) {
      expect(Buffer.from(parseMasterKey(encoded)), encoded).toEqual(raw);
    }
  });

  it('rejects anything else with a clear message that never echoes the input', () => {
    const secretish = randomBytes(32).toString('base64');
    const bad = [
      '',
      '   ',
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(16).toString('hex'),
      `${secretish.slice(0, -2)}!=`,
      `${secretish}${secretish}`,
      'correct horse battery staple correct horse',
      `${secretish.slice(0, 42)}+_`,
    ];
    for (const input of bad) {
      let message = '';
      try {
        parseMasterKey(input);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, JSON.stringify(input)).toMatch(/master key must be 32 random bytes/);
      if (input.trim().length > 4) expect(message).not.toContain(input.trim().slice(0, 8));
    }
  });
});
