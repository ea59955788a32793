/** Authenticated encryption of secrets at rest under the master key. */
export interface SecretBox {
  seal(plaintext: Uint8Array): Uint8Array;
  /** Throws when the box was tampered with or sealed under another key. */
  open(sealed: Uint8Array): Uint8Array;
}
