import { describe, expect, it } from 'vitest';
import { AccessChecker } from '../../../src/application/authorization/access-checker.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';

const actor = (tenantId: string, roles: string[]): Actor => ({
  tenantId,
  principal: {
    subjectId: 's',
    tenantId,
    kind: 'user',
    roles,
    sessionId: undefined,
    expiresAt: new Date(),
  },
});
const TENANT = '0190a5e2-0000-7000-8000-000000000001';

describe('AccessChecker', () => {
  const checker = new AccessChecker();
  const codeOf = (fn: () => void): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('lets anyone call public methods', () => {
    expect(codeOf(() => checker.check(undefined, { kind: 'public' }))).toBeUndefined();
  });

  it('requires a principal for everything else', () => {
    for (const rule of [
      { kind: 'authenticated' },
      { kind: 'platform' },
      { kind: 'permission', permission: 'tenant:read' },
    ] as const) {
      expect(codeOf(() => checker.check(undefined, rule))).toBe('AUTHENTICATION_REQUIRED');
    }
  });

  it('keeps platform methods to platform principals holding platform:admin', () => {
    expect(
      codeOf(() => checker.check(actor(PLATFORM_TENANT_ID, ['owner']), { kind: 'platform' })),
    ).toBeUndefined();
    expect(
      codeOf(() => checker.check(actor(PLATFORM_TENANT_ID, ['member']), { kind: 'platform' })),
    ).toBe('PERMISSION_DENIED');
    expect(codeOf(() => checker.check(actor(TENANT, ['owner']), { kind: 'platform' }))).toBe(
      'PERMISSION_DENIED',
    );
  });

  it('checks declared permissions against the roles', () => {
    const rule = { kind: 'permission', permission: 'tenant:write' } as const;
    expect(codeOf(() => checker.check(actor(TENANT, ['admin']), rule))).toBeUndefined();
    expect(codeOf(() => checker.check(actor(TENANT, ['member']), rule))).toBe('PERMISSION_DENIED');
  });

  it('lets anonymous callers through a self-service rule but holds authenticated ones to it', () => {
    const rule = { kind: 'permission_or_self_service', permission: 'users:write' } as const;
    expect(codeOf(() => checker.check(undefined, rule))).toBeUndefined();
    expect(codeOf(() => checker.check(actor(TENANT, ['admin']), rule))).toBeUndefined();
    expect(codeOf(() => checker.check(actor(TENANT, ['member']), rule))).toBe('PERMISSION_DENIED');
  });
});
