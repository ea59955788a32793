import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/domain/shared/errors.js';
import { parseTenantSlug } from '../../../src/domain/tenancy/tenant-slug.js';

describe('tenant slug rules', () => {
  it.each(['abc', 'acme-corp', 'a1b', '123', 'a'.repeat(63)])('accepts %j', (slug) => {
    expect(parseTenantSlug('slug', slug)).toBe(slug);
  });

  it.each([
    ['', 'is required'],
    ['ab', '3 to 63'],
    ['a'.repeat(64), '3 to 63'],
    ['Acme', 'DNS label'],
    ['-abc', 'DNS label'],
    ['abc-', 'DNS label'],
    ['a_b_c', 'DNS label'],
    ['a.bc', 'DNS label'],
    ['ünï', 'DNS label'],
  ])('refuses %j (%s), naming the field', (slug, why) => {
    expect(() => parseTenantSlug('slug', slug)).toThrow(InvalidArgumentError);
    expect(() => parseTenantSlug('slug', slug)).toThrow(why);
  });

  it('accepts exactly the strings that are lowercase DNS labels of 3..63 characters', () => {
    const label = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (raw) => {
        const valid = raw.length >= 3 && raw.length <= 63 && label.test(raw);
        let accepted = true;
        try {
          parseTenantSlug('slug', raw);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          accepted = false;
        }
        expect(accepted).toBe(valid);
      }),
    );
  });
});
