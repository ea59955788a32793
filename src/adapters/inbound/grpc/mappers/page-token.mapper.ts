import { InvalidArgumentError } from '../../../../domain/shared/errors.js';

/**
 * Page tokens are opaque to clients: a versioned, base64url-wrapped keyset cursor, so the
 * encoding can change without clients noticing.
 */
export const encodePageToken = (after: string | undefined): string =>
  after === undefined ? '' : Buffer.from(`v1:${after}`, 'utf8').toString('base64url');

export function decodePageToken(field: string, token: string): string | undefined {
  if (token === '') return undefined;
  const decoded = token.length <= 1024 ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith('v1:') || decoded.length === 3) {
    throw new InvalidArgumentError(field, 'is not a page token from this server');
  }
  return decoded.slice(3);
}
