import { CompiledPolicyCache } from '../../../src/adapters/outbound/memory/compiled-policy-cache.js';
import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import { InMemoryRequestTransactions } from '../../../src/adapters/outbound/memory/in-memory-request-transactions.js';
import { InMemoryUnitOfWork } from '../../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { InProcessPolicyChanges } from '../../../src/adapters/outbound/memory/in-process-policy-changes.js';
import { MemoryDatabase } from '../../../src/adapters/outbound/memory/memory-database.js';
import { AccessChecker } from '../../../src/application/authorization/access-checker.js';
import { BindingAdmin } from '../../../src/application/authorization/binding-admin.js';
import {
  DEFAULT_SENSITIVE_PERMISSIONS,
  parseSensitivePermissions,
  PolicyDecisionPoint,
} from '../../../src/application/authorization/policy-decision-point.js';
import { RoleAdmin } from '../../../src/application/authorization/role-admin.js';
import { StoredPolicies } from '../../../src/application/authorization/stored-policies.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import type { AuditEvent } from '../../../src/domain/audit/audit-event.js';
import type { AuditRecorder } from '../../../src/domain/audit/audit-recorder.port.js';
import type { PolicyChange } from '../../../src/domain/authorization/policy-changes.port.js';
import { TENANT_SCOPE } from '../../../src/domain/authorization/role.js';
import { systemRolesFor } from '../../../src/domain/authorization/system-roles.js';
import type { PrincipalKind } from '../../../src/domain/identity/principal.js';
import { PLATFORM_TENANT_ID } from '../../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../../mothers/tenant.mother.js';
import { aUser } from '../../mothers/user.mother.js';

/** Records synchronously, like the buffered recorder once flushed. */
export class CollectingRecorder implements AuditRecorder {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

export interface AuthorizationWorld {
  readonly clock: { now(): Date; advance(ms: number): void };
  readonly uow: InMemoryUnitOfWork;
  readonly recorder: CollectingRecorder;
  readonly audit: InMemoryAuditLog;
  readonly changes: InProcessPolicyChanges;
  readonly announced: PolicyChange[];
  readonly cache: CompiledPolicyCache;
  readonly pdp: PolicyDecisionPoint;
  readonly roles: RoleAdmin;
  readonly bindings: BindingAdmin;
  readonly checker: AccessChecker;
  /** Adds a user to the tenant, bound tenant-wide to the given system or custom roles. */
  user(tenantId: string, roles: readonly string[]): Promise<string>;
  actor(subjectId: string, tenantId?: string, home?: string, kind?: PrincipalKind): Actor;
}

/** A memory database with tenants A and B and the platform tenant, their system roles, and the use cases. */
export async function authorizationWorld(
  options: { maxStalenessMs?: number } = {},
): Promise<AuthorizationWorld> {
  let nowMs = Date.UTC(2026, 0, 1);
  const clock = {
    now: () => new Date(nowMs),
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
  let next = 0;
  const ids = {
    newId: () => `0f000000-0000-4000-8000-${String((next += 1)).padStart(12, '0')}`,
  };
  const uow = new InMemoryUnitOfWork(new MemoryDatabase());
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  for (const tenantId of [TENANT_A_ID, TENANT_B_ID, PLATFORM_TENANT_ID]) {
    await uow.inTenant(tenantId, ({ roles }) =>
      roles.insertRoles(systemRolesFor(tenantId, ids.newId, clock.now())),
    );
  }
  const recorder = new CollectingRecorder();
  const audit = new InMemoryAuditLog();
  const changes = new InProcessPolicyChanges();
  const announced: PolicyChange[] = [];
  changes.onChanged((change) => announced.push(change));
  const cache = new CompiledPolicyCache(new StoredPolicies(uow), clock, {
    maxStalenessMs: options.maxStalenessMs ?? 1_000,
    maxSubjects: 1_000,
  }).listenTo(changes);
  const pdp = new PolicyDecisionPoint(
    cache,
    uow,
    recorder,
    ids,
    clock,
    parseSensitivePermissions(DEFAULT_SENSITIVE_PERMISSIONS),
  );
  const user = async (tenantId: string, roleNames: readonly string[]): Promise<string> => {
    const id = ids.newId();
    await uow.inTenant(tenantId, async ({ users, roles }) => {
      await users.insert(
        aUser({ tenantId, id, email: `${id}@example.com`, emailNormalized: `${id}@example.com` }),
      );
      for (const name of roleNames) {
        const role = await roles.findRoleByName(name);
        if (role === undefined) throw new Error(`no role ${name}`);
        await roles.insertBinding({
          tenantId,
          id: ids.newId(),
          subjectId: id,
          subjectKind: 'user',
          roleId: role.id,
          scope: TENANT_SCOPE,
          expiresAt: undefined,
          createdAt: clock.now(),
        });
      }
    });
    return id;
  };
  const actor = (
    subjectId: string,
    tenantId = TENANT_A_ID,
    home = tenantId,
    kind: PrincipalKind = 'user',
  ): Actor => ({
    tenantId,
    principal: {
      subjectId,
      tenantId: home,
      kind,
      roles: [],
      sessionId: undefined,
      expiresAt: new Date(nowMs + 900_000),
    },
  });
  return {
    clock,
    uow,
    recorder,
    audit,
    changes,
    announced,
    cache,
    pdp,
    roles: new RoleAdmin(uow, pdp, changes, audit, ids, clock, new InMemoryRequestTransactions()),
    bindings: new BindingAdmin(
      uow,
      pdp,
      changes,
      audit,
      ids,
      clock,
      new InMemoryRequestTransactions(),
    ),
    checker: new AccessChecker(pdp),
    user,
    actor,
  };
}
