import { describe, expect, it } from 'vitest';
import { parseEmail } from '../../../src/domain/identity/email.js';
import {
  checkNewPassword,
  checkPresentedPassword,
  DEFAULT_PASSWORD_POLICY,
} from '../../../src/domain/identity/password-policy.js';

describe('email', () => {
  it('keeps the address as given and normalises case for uniqueness', () => {
    expect(parseEmail('email', '  Ada@Example.COM ')).toEqual({
      email: 'Ada@Example.COM',
      normalized: 'ada@example.com',
    });
  });

  it.each(['', 'plain', 'a@b', 'a b@c.de', `${'x'.repeat(250)}@c.de`])('refuses %j', (raw) => {
    expect(() => parseEmail('email', raw)).toThrow(/^email: /);
  });
});

describe('password policy', () => {
  it('accepts a long uncommon password and counts characters, not bytes', () => {
    expect(checkNewPassword('password', 'violet-tractor-89', DEFAULT_PASSWORD_POLICY)).toBe(
      'violet-tractor-89',
    );
    expect(() => checkNewPassword('password', 'ééééééééééé', DEFAULT_PASSWORD_POLICY)).toThrow(
      'at least 12',
    );
  });

  it('refuses short, overlong and common passwords without echoing them', () => {
    for (const password of ['short', 'x'.repeat(129), 'Password1234']) {
      let message = '';
      try {
        checkNewPassword('password', password, DEFAULT_PASSWORD_POLICY);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^password: /);
      expect(message).not.toContain(password);
    }
  });

  it('bounds presented passwords before hashing', () => {
    expect(() => checkPresentedPassword('password', '')).toThrow('required');
    expect(() => checkPresentedPassword('password', 'x'.repeat(1025))).toThrow('too long');
  });
});
