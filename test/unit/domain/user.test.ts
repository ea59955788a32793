import { describe, expect, it } from 'vitest';
import {
  compareUsersByCursor,
  disableUser,
  enableUser,
  encodeUserCursor,
  isUserActive,
  parseUserCursor,
  parseUserDisplayName,
} from '../../../src/domain/identity/user.js';
import { aUser } from '../../mothers/user.mother.js';

describe('user status', () => {
  it('disables an active user and leaves everything else as it was', () => {
    const user = aUser();
    const disabled = disableUser(user);
    expect(disabled).toEqual({ ...user, status: 'disabled' });
    expect(isUserActive(disabled)).toBe(false);
    expect(user.status).toBe('active');
  });

  it('is idempotent: disabling a disabled user returns the same object', () => {
    const disabled = aUser({ status: 'disabled' });
    expect(disableUser(disabled)).toBe(disabled);
  });

  it('re-enables a disabled user; enabling an active one changes nothing', () => {
    expect(enableUser(aUser({ status: 'disabled' }))).toEqual(aUser());
    const active = aUser();
    expect(enableUser(active)).toBe(active);
  });
});

describe('user display name', () => {
  it('defaults to the email and trims what is given', () => {
    expect(parseUserDisplayName('display_name', '  ', 'a@b.co')).toBe('a@b.co');
    expect(parseUserDisplayName('display_name', ' Ada ', 'a@b.co')).toBe('Ada');
  });

  it.each(['x'.repeat(201), 'bad\u0000name'])('refuses %j naming the field', (raw) => {
    expect(() => parseUserDisplayName('display_name', raw, 'a@b.co')).toThrow(/^display_name: /);
  });
});

describe('user cursor', () => {
  const createdAt = new Date('2025-01-02T03:04:05.678Z');

  it('round-trips creation time and id', () => {
    const cursor = encodeUserCursor({ createdAt, id: aUser().id.toUpperCase() });
    expect(cursor).toBe(`2025-01-02T03:04:05.678Z_${aUser().id}`);
    expect(parseUserCursor('page.page_token', cursor)).toEqual({ createdAt, id: aUser().id });
  });

  it.each([
    '',
    'acme',
    '2025-01-02T03:04:05.678Z',
    `2025-01-02T03:04:05.678Z_not-a-uuid`,
    `2025-13-45T03:04:05.678Z_${aUser().id}`,
    `x2025-01-02T03:04:05.678Z_${aUser().id}`,
  ])('refuses %j as not a page token', (raw) => {
    expect(() => parseUserCursor('page.page_token', raw)).toThrow(
      'page.page_token: is not a page token from this server',
    );
  });

  it('orders oldest first, then by id', () => {
    const a = { createdAt, id: '00000000-0000-4000-8000-000000000002' };
    const b = { createdAt, id: '00000000-0000-4000-8000-000000000001' };
    const older = {
      createdAt: new Date(createdAt.getTime() - 1),
      id: 'ffffffff-0000-4000-8000-000000000000',
    };
    expect([a, b, older].sort(compareUsersByCursor)).toEqual([older, b, a]);
  });
});
