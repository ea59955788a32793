import { describe, expect, it } from 'vitest';

import {
  formatUserToken,
  isUserTokenUsable,
  parseUserToken,
  type UserToken,
} from '../../../src/domain/identity/user-token.js';
import { InvalidArgumentError } from '../../../src/domain/shared/errors.js';

const TENANT = '0a000000-0000-4000-8000-00000000000a';
const SECRET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ_-01234';

describe('one-time tokens', () => {
  it('round-trips <tenant>.<secret>, lowercasing the tenant', () => {
    expect(parseUserToken('token', formatUserToken(TENANT.toUpperCase(), SECRET))).toEqual({
      tenantId: TENANT,
      secret: SECRET,
    });
  });

  it.each([
    '',
    'x',
    '.',
    `${TENANT}.`,
    `.${SECRET}`,
    `${TENANT}${SECRET}`,
    `${TENANT}.${SECRET}x`,
    `${TENANT}.${SECRET.slice(1)}`,
    `${TENANT}.${SECRET.slice(1)}=`,
    `${TENANT}.${SECRET}.x`,
    `nope.${SECRET}`,
  ])('refuses %j as INVALID_ARGUMENT on the field', (raw) => {
    let error: unknown;
    try {
      parseUserToken('token', raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe('token');
    expect((error as InvalidArgumentError).message).not.toContain(SECRET);
  });

  it('is usable until it expires or is used', () => {
    const token: UserToken = {
      tenantId: TENANT,
      id: TENANT,
      userId: TENANT,
      purpose: 'password_reset',
      tokenHash: new Uint8Array(32),
      expiresAt: new Date(1_000),
      usedAt: undefined,
      createdAt: new Date(0),
    };
    expect(isUserTokenUsable(token, new Date(999))).toBe(true);
    expect(isUserTokenUsable(token, new Date(1_000))).toBe(false);
    expect(isUserTokenUsable({ ...token, usedAt: new Date(1) }, new Date(2))).toBe(false);
  });
});
