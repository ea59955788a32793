import { describe, expect, it } from 'vitest';
import { systemRolesGrant as rolesGrant } from '../../mothers/role.mother.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';

const TENANT = '0190a5e2-0000-7000-8000-000000000001';
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
    expect(rolesGrant(TENANT, ['owner'], 'billing:write')).toBe(true);
    expect(rolesGrant(TENANT, ['admin'], 'tenant:write')).toBe(true);
    expect(rolesGrant(TENANT, ['member'], 'tenant:read')).toBe(true);
    expect(rolesGrant(TENANT, ['member'], 'tenant:write')).toBe(false);
    expect(rolesGrant(TENANT, ['made-up'], 'tenant:read')).toBe(false);
    expect(rolesGrant(TENANT, [], 'tenant:read')).toBe(false);
  });

  it('keeps platform permissions out of every tenant but the platform one', () => {
    expect(permissionCovers('*', 'platform:admin')).toBe(false);
    expect(permissionCovers('platform:*', 'platform:admin')).toBe(true);
    expect(rolesGrant(TENANT, ['owner'], 'platform:admin')).toBe(false);
    expect(rolesGrant(PLATFORM_TENANT_ID, ['owner'], 'platform:admin')).toBe(true);
    expect(rolesGrant(PLATFORM_TENANT_ID, ['admin'], 'platform:admin')).toBe(true);
    expect(rolesGrant(PLATFORM_TENANT_ID, ['member'], 'platform:admin')).toBe(false);
  });
});
