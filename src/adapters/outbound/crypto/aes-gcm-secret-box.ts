import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretBox } from '../../../domain/identity/secret-box.port.js';

const VERSION = 1;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;

export interface AesGcmSecretBoxOptions {
  /**
   * Bound as AES-GCM additional authenticated data: a box sealed for one purpose (e.g.
   * `signing-key`) cannot be opened as another (e.g. `webhook-secret`).
   */
  readonly purpose?: string;
}

/**
 * AES-256-GCM under the master key. Sealed format:
 * `version (1 byte, = 1) || nonce (12 random bytes) || ciphertext || tag (16 bytes)`.
 * The version byte is authenticated too (it is part of the AAD).
 */
export class AesGcmSecretBox implements SecretBox {
  private readonly key: Buffer;
  private readonly purpose: string;

  constructor(masterKey: Uint8Array, options: AesGcmSecretBoxOptions = {}) {
    if (masterKey.length !== KEY_BYTES) {
      throw new Error(`master key must be ${KEY_BYTES} bytes`);
    }
    this.key = Buffer.from(masterKey); // a private copy: later changes to the caller's buffer do not leak in
    this.purpose = options.purpose ?? '';
  }

  /** The same master key, bound to another purpose. */
  withPurpose(purpose: string): AesGcmSecretBox {
    return new AesGcmSecretBox(this.key, { purpose });
  }

  seal(plaintext: Uint8Array): Uint8Array {
    const nonce = randomBytes(NONCE_BYTES);
    const header = Buffer.concat([Buffer.of(VERSION), nonce]);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.aad(VERSION));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([header, body, cipher.getAuthTag()]));
  }

  open(sealed: Uint8Array): Uint8Array {
    if (sealed.length < HEADER_BYTES + TAG_BYTES) throw new Error('sealed secret is malformed');
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const version = bytes[0];
    if (version !== VERSION) throw new Error('sealed secret has an unsupported version');
    const nonce = bytes.subarray(1, HEADER_BYTES);
    const body = bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(this.aad(version));
      decipher.setAuthTag(tag);
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
    } catch {
      throw new Error('sealed secret cannot be opened: tampered, or sealed under another key');
    }
  }

  private aad(version: number): Buffer {
    return Buffer.concat([
      Buffer.of(version),
      Buffer.from(`wemaster-core:${this.purpose}`, 'utf8'),
    ]);
  }
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Reads a 32-byte master key written as base64, base64url (padded or not) or 64 hex digits.
 * Errors never include the text itself.
 */
export function parseMasterKey(text: string): Uint8Array {
  const value = text.trim();
  const expected = `the master key must be ${KEY_BYTES} random bytes written as base64, base64url or ${KEY_BYTES * 2} hex digits (generate one with: openssl rand -base64 32)`;
  if (value === '') throw new Error(`${expected}; it is empty`);
  if (HEX_KEY.test(value)) return new Uint8Array(Buffer.from(value, 'hex'));
  if (!BASE64_KEY.test(value) || (value.includes('=') && value.length % 4 !== 0)) {
    throw new Error(`${expected}; it contains characters outside these encodings`);
  }
  if (/[+/]/.test(value) && /[-_]/.test(value)) {
    throw new Error(`${expected}; it mixes base64 and base64url characters`);
  }
  const normalized = value.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Buffer.from(normalized, 'base64');
  if (bytes.length !== KEY_BYTES) {
    throw new Error(`${expected}; it decodes to ${bytes.length} bytes`);
  }
  // Reject non-canonical encodings (stray bits in the last character).
  if (bytes.toString('base64').replace(/=+$/, '') !== normalized) {
    throw new Error(`${expected}; it is not a canonical encoding`);
  }
  return new Uint8Array(bytes);
}

/** 32 fresh random bytes as base64, for a new master key. */
export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
