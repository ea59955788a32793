import { beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/application/shared/actor.js';
import type { AccessRule } from '../../../src/domain/authorization/access-rule.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import { TENANT_A_ID } from '../../mothers/tenant.mother.js';
import { authorizationWorld, type AuthorizationWorld } from './authorization-fixture.js';

describe('AccessChecker (rules decided by the authorization engine)', () => {
  let world: AuthorizationWorld;
  const actorIn = async (tenantId: string, roles: string[]): Promise<Actor> =>
    world.actor(await world.user(tenantId, roles), tenantId);
  const codeOf = async (
    actor: Actor | undefined,
    rule: AccessRule,
  ): Promise<string | undefined> => {
    try {
      await world.checker.check(actor, rule);
      return undefined;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  beforeEach(async () => {
    world = await authorizationWorld();
  });

  it('lets anyone call public methods', async () => {
    expect(await codeOf(undefined, { kind: 'public' })).toBeUndefined();
  });

  it('requires a principal for everything else', async () => {
    for (const rule of [
      { kind: 'authenticated' },
      { kind: 'platform' },
      { kind: 'permission', permission: 'tenant:read' },
    ] as const) {
      expect(await codeOf(undefined, rule)).toBe('AUTHENTICATION_REQUIRED');
    }
  });

  it('keeps platform methods to platform principals holding platform:admin', async () => {
    expect(
      await codeOf(await actorIn(PLATFORM_TENANT_ID, ['owner']), { kind: 'platform' }),
    ).toBeUndefined();
    expect(
      await codeOf(await actorIn(PLATFORM_TENANT_ID, ['admin']), { kind: 'platform' }),
    ).toBeUndefined();
    expect(await codeOf(await actorIn(PLATFORM_TENANT_ID, ['member']), { kind: 'platform' })).toBe(
      'PERMISSION_DENIED',
    );
    expect(await codeOf(await actorIn(TENANT_A_ID, ['owner']), { kind: 'platform' })).toBe(
      'PERMISSION_DENIED',
    );
  });

  it('checks declared permissions against the bindings, not the token roles', async () => {
    const rule = { kind: 'permission', permission: 'tenant:write' } as const;
    expect(await codeOf(await actorIn(TENANT_A_ID, ['admin']), rule)).toBeUndefined();
    expect(await codeOf(await actorIn(TENANT_A_ID, ['member']), rule)).toBe('PERMISSION_DENIED');
    const claimsAdmin = await actorIn(TENANT_A_ID, ['member']);
    const forged = { ...claimsAdmin, principal: { ...claimsAdmin.principal, roles: ['admin'] } };
    expect(await codeOf(forged, rule)).toBe('PERMISSION_DENIED');
  });

  it('lets anonymous callers through a self-service rule but holds authenticated ones to it', async () => {
    const rule = { kind: 'permission_or_self_service', permission: 'users:write' } as const;
    expect(await codeOf(undefined, rule)).toBeUndefined();
    expect(await codeOf(await actorIn(TENANT_A_ID, ['admin']), rule)).toBeUndefined();
    expect(await codeOf(await actorIn(TENANT_A_ID, ['member']), rule)).toBe('PERMISSION_DENIED');
  });

  it('audits no grant of its own, even of a sensitive permission (the call audits itself)', async () => {
    const admin = await actorIn(TENANT_A_ID, ['admin']);
    const before = world.recorder.events.length;
    expect(await codeOf(admin, { kind: 'permission', permission: 'roles:write' })).toBeUndefined();
    expect(world.recorder.events.length).toBe(before);
  });

  it('answers synchronously once the caller is cached, and audits denials', async () => {
    const admin = await actorIn(TENANT_A_ID, ['admin']);
    const rule = { kind: 'permission', permission: 'users:read' } as const;
    expect(await codeOf(admin, rule)).toBeUndefined();
    expect(world.checker.check(admin, rule)).toBeUndefined();
    const member = await actorIn(TENANT_A_ID, ['member']);
    await codeOf(member, rule);
    expect(() => world.checker.check(member, rule, { operation: '/x/ListUsers' })).toThrow(
      /missing permission "users:read"/,
    );
    const denied = world.recorder.events.filter((e) => e.action === 'authz.check.denied');
    expect(denied.at(-1)).toMatchObject({
      tenantId: TENANT_A_ID,
      outcome: 'denied',
      target: { type: 'subject', id: member.principal.subjectId },
      details: { permission: 'users:read', operation: '/x/ListUsers' },
    });
  });
});
