import { describe, expect, it } from 'vitest';
import { rolesGrant } from '../../../src/domain/authorization/access-policy.js';
import { parsePermission, permissionCovers } from '../../../src/domain/authorization/permission.js';

describe('permissions', () => {
  it.each(['users:read', 'service-accounts:write', 'a_b:c-d', 'users:*', '*'])(
    'parses %j',
    (raw) => {
      expect(parsePermission('permission', raw)).toBe(raw);
    },
  );

  it.each([
    '',
    'users',
    'Users:read',
    'users:re*',
    '*:read',
    'users:read:extra',
    'users:',
    ':read',
    'us ers:read',
  ])('refuses %j naming the field', (raw) => {
    expect(() => parsePermission('permissions[0]', raw)).toThrow(/^permissions\[0\]: /);
  });

  it.each([
    ['*', 'users:read', true],
    ['users:*', 'users:read', true],
    ['users:read', 'users:read', true],
    ['users:read', 'users:write', false],
    ['users:*', 'users-admin:read', false],
    ['user:*', 'users:read', false],
  ])('%j covers %j: %s', (granted, required, expected) => {
    expect(permissionCovers(granted, required)).toBe(expected);
  });

  it('grants through system roles only, unknown roles grant nothing', () => {
    expect(rolesGrant(['owner'], 'platform:admin')).toBe(true);
    expect(rolesGrant(['admin'], 'tenant:write')).toBe(true);
    expect(rolesGrant(['admin'], 'platform:admin')).toBe(false);
    expect(rolesGrant(['member'], 'tenant:read')).toBe(true);
    expect(rolesGrant(['member'], 'tenant:write')).toBe(false);
    expect(rolesGrant(['made-up'], 'tenant:read')).toBe(false);
    expect(rolesGrant([], 'tenant:read')).toBe(false);
  });
});
