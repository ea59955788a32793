import type { RoleBinding } from './role.js';

/**
 * The shapes the authorization use cases code against. The engine is `compileTenantPolicy`
 * (compile-tenant-policy.ts); cycles are found by `findInheritanceCycle` (role-graph.ts).
 */

/** Why a check was allowed or denied. */
export interface Decision {
  readonly allowed: boolean;
  /** The binding that granted it; undefined when denied. */
  readonly bindingId: string | undefined;
  /** Role names from the bound role down the inheritance path to the role holding the permission. */
  readonly rolePath: readonly string[];
  /** The granted permission (possibly a wildcard) that covered the required one. */
  readonly matchedPermission: string | undefined;
  /** One line for humans, e.g. `no binding grants documents:write on documents/7`. */
  readonly summary: string;
  /** When allowed: the granting binding's expiry (undefined = never expires). */
  readonly expiresAt?: Date | undefined;
}

/**
 * A decision and the instants between which it holds, [fromMs, untilMs): a grant until its
 * binding expires, a denial for an expired binding from that instant on, any other answer
 * forever (for the compiled subject: a policy change compiles a new one).
 */
export interface Answer {
  readonly decision: Decision;
  readonly fromMs: number;
  readonly untilMs: number;
}

/** A subject's effective permissions, compiled once and answering checks in microseconds. */
export interface CompiledSubject {
  readonly tenantId: string;
  readonly subjectId: string;
  /** `resource` undefined = tenant-wide check; otherwise `type/id`. Expired bindings are ignored at `now`. */
  decide(permission: string, resource: string | undefined, now: Date): Decision;
  /** The decision at `nowMs` with the time window it holds in (for those who remember it). */
  answer(permission: string, resource: string | undefined, nowMs: number): Answer;
  /** Effective permissions as granted (wildcards kept), sorted, deduplicated. */
  permissions(resource: string | undefined, now: Date): readonly string[];
}

/** A tenant's roles with their inheritance closures computed once per policy version. */
export interface CompiledTenantPolicy {
  readonly tenantId: string;
  compileSubject(subjectId: string, bindings: readonly RoleBinding[]): CompiledSubject;
}
