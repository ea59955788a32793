import { PLATFORM_NAMESPACE } from './permission.js';
import type { Answer, CompiledSubject, CompiledTenantPolicy, Decision } from './policy-engine.js';
import type { Role, RoleBinding } from './role.js';
import { indexRoles, topmostInheritors, walkRoleGraph } from './role-graph.js';

/*
 * The authorization engine: pure, synchronous, compiled twice.
 *
 * 1. Per tenant (once per policy version): roles indexed by id, the inheritance graph walked once
 *    (iteratively) into acyclic child lists. A bound role's closure is compiled on first use and
 *    kept: a matcher holding every permission the role has, own or inherited, each with the path
 *    down to the role that holds it (shortest path; ties go to the earlier `inherits` entry).
 *    One breadth-first walk from the bound role compiles it, in O(roles reached + their
 *    permissions): no closure is built for the roles in between (a 1 000-role chain bound at
 *    its top costs one walk of 1 000 roles, not 1 000 nested closures).
 * 2. Per subject (cached by the caller per (tenant, subject) and policy version): the subject's
 *    bindings grouped by scope (tenant-wide, or one resource) into the same matching structure:
 *    exact permissions, `resource:*` by resource, and `*`. A scope with a single binding shares
 *    the role's matcher (no copy); several bindings in one scope are merged, keeping per granted
 *    permission the binding that expires latest (never first, then the smallest binding id).
 *
 * A check is then two to four Map lookups per scope and one expiry comparison: since each key
 * keeps the latest-expiring binding, if that one has expired at `now` every other binding for
 * the key has too. Expired bindings grant nothing without anyone sweeping them.
 *
 * Scopes: a tenant-wide binding covers the tenant and every resource in it; a resource binding
 * (`type/id`) covers that exact resource only: not other resources, not other ids of the type,
 * and not tenant-wide checks.
 *
 * Nothing is validated here (roles, bindings and resources are validated on write), but odd
 * stored data never throws: unknown or other-tenant role ids, bindings of another tenant or
 * subject, unknown scope kinds, invalid dates (treated as already expired) and inheritance
 * cycles (the edge closing a cycle is ignored) all grant nothing more than they safely can.
 */

/**
 * One role reached by a closure's breadth-first walk, with the step above it: the role path
 * from the bound role down to it, shared by every permission it contributes to that closure.
 */
class Step {
  private pathMemo: readonly string[] | undefined;
  private pathTextMemo: string | undefined;

  constructor(
    readonly roleName: string,
    /** The role one step up (the one that inherits this one), undefined for the bound role. */
    readonly up: Step | undefined,
  ) {}

  /** Role names from the bound role down to this one. */
  get path(): readonly string[] {
    if (this.pathMemo === undefined) {
      const names: string[] = [this.roleName];
      for (let step = this.up; step !== undefined; step = step.up) names.push(step.roleName);
      this.pathMemo = Object.freeze(names.reverse());
    }
    return this.pathMemo;
  }

  get pathText(): string {
    this.pathTextMemo ??= this.path.join(' > ');
    return this.pathTextMemo;
  }
}

/** One permission of a role's closure and the role (step) that holds it. */
class Holder {
  constructor(
    /** As granted: possibly `resource:*` or `*`. */
    readonly permission: string,
    readonly step: Step,
  ) {}

  get path(): readonly string[] {
    return this.step.path;
  }

  get pathText(): string {
    return this.step.pathText;
  }
}

/**
 * The matching structure shared by role closures and merged subject scopes: every granted
 * permission lives in exactly one slot: `*` in `star`, `x:*` in `wildcard` under `x`, the rest in
 * `exact`. Lookups cover exactly what `permissionCovers` covers (so odd stored strings behave
 * the same as in the reference rule, and a bare `*` never reaches `platform:`).
 */
class Slots<T> {
  readonly exact = new Map<string, T>();
  readonly wildcard = new Map<string, T>();
  star: T | undefined;

  get(granted: string): T | undefined {
    if (granted === '*') return this.star;
    if (granted.endsWith(':*')) return this.wildcard.get(granted.slice(0, -2));
    return this.exact.get(granted);
  }

  set(granted: string, value: T): void {
    if (granted === '*') this.star = value;
    else if (granted.endsWith(':*')) this.wildcard.set(granted.slice(0, -2), value);
    else this.exact.set(granted, value);
  }

  values(): T[] {
    const all = [...this.exact.values(), ...this.wildcard.values()];
    if (this.star !== undefined) all.push(this.star);
    return all;
  }
}

/** A role's closure: every permission it has, own or inherited, with its path. */
class RoleMatcher extends Slots<Holder> {
  private sorted: readonly string[] | undefined;

  /**
   * The most specific holder covering `required`: exact, then `prefix:*`, then `*`. `prefix` is
   * `firstPrefix(required)`, computed once per check.
   */
  find(required: string, prefix: string | undefined): Holder | undefined {
    const exact = this.exact.get(required);
    if (exact !== undefined) return exact;
    if (prefix !== undefined && this.wildcard.size > 0) {
      const wildcard = this.wildcard.get(prefix);
      if (wildcard !== undefined) return wildcard;
      // Odd permissions with more colons: every longer `prefix:` too, as permissionCovers does.
      for (
        let colon = required.indexOf(':', prefix.length + 1);
        colon >= 0;
        colon = required.indexOf(':', colon + 1)
      ) {
        const longer = this.wildcard.get(required.slice(0, colon));
        if (longer !== undefined) return longer;
      }
    }
    if (this.star !== undefined && !required.startsWith(PLATFORM_NAMESPACE)) return this.star;
    return undefined;
  }

  sortedPermissions(): readonly string[] {
    this.sorted ??= Object.freeze(
      this.values()
        .map((holder) => holder.permission)
        .sort(),
    );
    return this.sorted;
  }
}

/** A binding as the compiled subject keeps it. */
interface Bound {
  readonly id: string;
  /** Exclusive; `Infinity` when it never expires, `-Infinity` for an unreadable date. */
  readonly expiresAtMs: number;
  readonly expiresAt: Date | undefined;
}

interface Grant {
  readonly binding: Bound;
  readonly holder: Holder;
}

/** Latest expiry first, then the smallest binding id: the deterministic preference. */
function prefer(candidate: Bound, current: Bound): boolean {
  if (candidate.expiresAtMs !== current.expiresAtMs) {
    return candidate.expiresAtMs > current.expiresAtMs;
  }
  return candidate.id < current.id;
}

/** What one scope (tenant-wide, or one resource) grants a subject. */
interface ScopeGrants {
  /** The preferred grant covering `required`, expired or not (see the file comment). */
  best(required: string, prefix: string | undefined): Grant | undefined;
  /** Granted permissions of bindings unexpired at `nowMs`, sorted, deduplicated. */
  permissions(nowMs: number): readonly string[];
  /** Whether some binding, expired or not, grants a bare `*` (for denial reasons). */
  grantsStar(): boolean;
}

/**
 * Up to `mergeBindingsAbove` (default 4) bindings in one scope: the roles' compiled matchers, shared with every other
 * subject bound to them, not copied. A check looks in each (a few Map lookups apiece).
 */
const MERGE_BINDINGS_ABOVE = 4;

interface ScopeEntry {
  readonly binding: Bound;
  readonly matcher: RoleMatcher;
}

class SharedScope implements ScopeGrants {
  constructor(private readonly entries: readonly ScopeEntry[]) {}

  best(required: string, prefix: string | undefined): Grant | undefined {
    let best: ScopeEntry | undefined;
    let holder: Holder | undefined;
    for (const entry of this.entries) {
      const found = entry.matcher.find(required, prefix);
      if (found !== undefined && (best === undefined || prefer(entry.binding, best.binding))) {
        best = entry;
        holder = found;
      }
    }
    return best === undefined || holder === undefined
      ? undefined
      : { binding: best.binding, holder };
  }

  permissions(nowMs: number): readonly string[] {
    const lists: (readonly string[])[] = [];
    for (const { binding, matcher } of this.entries) {
      if (binding.expiresAtMs > nowMs) lists.push(matcher.sortedPermissions());
    }
    if (lists.length <= 1) return lists[0] ?? [];
    return [...new Set(lists.flat())].sort();
  }

  grantsStar(): boolean {
    return this.entries.some((entry) => entry.matcher.star !== undefined);
  }
}

/**
 * More bindings in one scope: merged into one matching structure, keeping per granted
 * permission the preferred binding, so that a check costs the same however many there are.
 */
class MergedScope extends Slots<Grant> implements ScopeGrants {
  add(binding: Bound, matcher: RoleMatcher): void {
    for (const holder of matcher.values()) {
      const current = this.get(holder.permission);
      if (current === undefined || prefer(binding, current.binding)) {
        this.set(holder.permission, { binding, holder });
      }
    }
  }

  best(required: string, prefix: string | undefined): Grant | undefined {
    let best = this.exact.get(required);
    if (prefix !== undefined && this.wildcard.size > 0) {
      for (let colon = prefix.length; colon >= 0; colon = required.indexOf(':', colon + 1)) {
        const wildcard = this.wildcard.get(
          colon === prefix.length ? prefix : required.slice(0, colon),
        );
        if (
          wildcard !== undefined &&
          (best === undefined || prefer(wildcard.binding, best.binding))
        ) {
          best = wildcard;
        }
      }
    }
    const star = this.star;
    if (
      star !== undefined &&
      !required.startsWith(PLATFORM_NAMESPACE) &&
      (best === undefined || prefer(star.binding, best.binding))
    ) {
      best = star;
    }
    return best;
  }

  permissions(nowMs: number): readonly string[] {
    return this.values()
      .filter((grant) => grant.binding.expiresAtMs > nowMs)
      .map((grant) => grant.holder.permission)
      .sort();
  }

  grantsStar(): boolean {
    return this.star !== undefined;
  }
}

/** `documents` for `documents:write`: the key of the `resource:*` that may cover it. */
function firstPrefix(required: string): string | undefined {
  const colon = required.indexOf(':');
  return colon < 0 ? undefined : required.slice(0, colon);
}

function expiryMs(expiresAt: unknown): number {
  if (expiresAt === undefined || expiresAt === null) return Number.POSITIVE_INFINITY;
  const ms = expiresAt instanceof Date ? expiresAt.getTime() : Number.NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

function describeExpiry(binding: Bound): string {
  const at = binding.expiresAt;
  return at instanceof Date && !Number.isNaN(at.getTime())
    ? at.toISOString()
    : 'an unreadable time';
}

const where = (resource: string | undefined): string =>
  resource === undefined ? 'tenant-wide' : `on ${resource}`;

class Subject implements CompiledSubject {
  constructor(
    readonly tenantId: string,
    readonly subjectId: string,
    private readonly tenant: ScopeGrants | undefined,
    private readonly resources: ReadonlyMap<string, ScopeGrants>,
  ) {}

  decide(permission: string, resource: string | undefined, now: Date): Decision {
    return this.answer(permission, resource, now.getTime()).decision;
  }

  answer(permission: string, resource: string | undefined, nowMs: number): Answer {
    const prefix = firstPrefix(permission);
    let best = this.tenant?.best(permission, prefix);
    if (resource !== undefined) {
      const scoped = this.resources.get(resource)?.best(permission, prefix);
      if (scoped !== undefined && (best === undefined || prefer(scoped.binding, best.binding))) {
        best = scoped;
      }
    }
    // The preferred grant does not depend on the time: only whether it has expired does. So an
    // allowed answer holds until that binding expires, a denial for an expired one from then on.
    // NaN compares false: nothing is granted.
    if (best !== undefined && best.binding.expiresAtMs > nowMs) {
      const { binding, holder } = best;
      return {
        fromMs: Number.NEGATIVE_INFINITY,
        untilMs: binding.expiresAtMs,
        decision: {
          allowed: true,
          bindingId: binding.id,
          rolePath: holder.path,
          matchedPermission: holder.permission,
          expiresAt: binding.expiresAt,
          summary: `binding ${binding.id} grants ${permission} ${where(resource)} via ${holder.pathText} (${holder.permission})`,
        },
      };
    }
    let summary =
      best === undefined
        ? `no binding grants ${permission} ${where(resource)}`
        : `binding ${best.binding.id} expired at ${describeExpiry(best.binding)}; no other binding grants ${permission} ${where(resource)}`;
    if (
      permission.startsWith(PLATFORM_NAMESPACE) &&
      (this.tenant?.grantsStar() === true ||
        (resource !== undefined && this.resources.get(resource)?.grantsStar() === true))
    ) {
      summary += ' (a bare * never covers platform: permissions)';
    }
    return {
      fromMs: best === undefined ? Number.NEGATIVE_INFINITY : best.binding.expiresAtMs,
      untilMs: Number.POSITIVE_INFINITY,
      decision: {
        allowed: false,
        bindingId: undefined,
        rolePath: [],
        matchedPermission: undefined,
        summary,
      },
    };
  }

  permissions(resource: string | undefined, now: Date): readonly string[] {
    const nowMs = now.getTime();
    const tenantWide = this.tenant?.permissions(nowMs) ?? [];
    const scope = resource === undefined ? undefined : this.resources.get(resource);
    if (scope === undefined) return tenantWide;
    const scoped = scope.permissions(nowMs);
    if (scoped.length === 0) return tenantWide;
    if (tenantWide.length === 0) return scoped;
    return [...new Set([...tenantWide, ...scoped])].sort();
  }
}

interface RoleNode {
  readonly role: Role;
  readonly children: readonly string[];
  matcher: RoleMatcher | undefined;
}

export interface CompileOptions {
  /**
   * A scope with more bindings than this is merged into one matching structure; up to this many
   * share their roles' compiled closures (default 4; 0 always merges). Same answers either way.
   */
  readonly mergeBindingsAbove?: number;
}

/** The compiled policy of one tenant; adds a warm-up for benchmarks and eager callers. */
export interface TenantPolicy extends CompiledTenantPolicy {
  /** Roles known to the policy (of this tenant, first of duplicate ids). */
  readonly roleCount: number;
  /** Compiles every role's closure now instead of on first use. */
  compileAllRoles(): void;
  /**
   * The distinct permissions of a role's closure (own and inherited, wildcards kept), sorted;
   * undefined for an unknown role. With `limit`, the walk stops as soon as more than `limit`
   * are found: the answer then has `limit + 1` of them (enough to refuse, never more work).
   * Uncached: for write-time checks, in O(roles reached + their permissions).
   */
  closurePermissions(roleId: string, limit?: number): string[] | undefined;
  /**
   * The roles whose closures contain `roleId`'s and are contained in no other role's: the role
   * and the roles inheriting it (transitively) that no role inherits. A change to `roleId`
   * grows every closure containing it; checking these is checking them all.
   */
  topmostInheritors(roleId: string): string[];
  /** Closure entries (permissions with their holder) built so far: for tests and benchmarks. */
  readonly closureEntries: number;
}

class CompiledTenant implements TenantPolicy {
  private readonly nodes = new Map<string, RoleNode>();
  private readonly children: ReadonlyMap<string, readonly string[]>;
  private entries = 0;

  constructor(
    readonly tenantId: string,
    roles: readonly Role[],
    private readonly mergeBindingsAbove: number,
  ) {
    const byId = indexRoles(roles.filter((role) => role.tenantId === tenantId));
    const { children } = walkRoleGraph(byId);
    this.children = children;
    for (const [id, role] of byId) {
      this.nodes.set(id, { role, children: children.get(id) ?? [], matcher: undefined });
    }
  }

  get roleCount(): number {
    return this.nodes.size;
  }

  get closureEntries(): number {
    return this.entries;
  }

  compileAllRoles(): void {
    for (const id of this.nodes.keys()) this.matcherOf(id);
  }

  closurePermissions(roleId: string, limit = Number.POSITIVE_INFINITY): string[] | undefined {
    const root = this.nodes.get(roleId);
    if (root === undefined) return undefined;
    const found = new Set<string>();
    this.walk(root, (node) => {
      for (const permission of ownPermissions(node.role)) {
        if (typeof permission !== 'string') continue;
        found.add(permission);
        if (found.size > limit) return false;
      }
      return true;
    });
    return [...found].sort();
  }

  topmostInheritors(roleId: string): string[] {
    return this.nodes.has(roleId) ? topmostInheritors(this.children, roleId) : [];
  }

  compileSubject(subjectId: string, bindings: readonly RoleBinding[]): CompiledSubject {
    // Per scope, the bindings in it (only this tenant's and this subject's, with known roles).
    const byScope = new Map<string | undefined, ScopeEntry[]>();
    for (const binding of bindings) {
      if (binding.tenantId !== this.tenantId || binding.subjectId !== subjectId) continue;
      const scope = scopeKey(binding);
      if (scope === null) continue;
      const matcher = this.matcherOf(binding.roleId);
      if (matcher === undefined) continue;
      const bound: Bound = {
        id: binding.id,
        expiresAtMs: expiryMs(binding.expiresAt),
        expiresAt: binding.expiresAt ?? undefined,
      };
      const list = byScope.get(scope);
      if (list === undefined) byScope.set(scope, [{ binding: bound, matcher }]);
      else list.push({ binding: bound, matcher });
    }
    let tenant: ScopeGrants | undefined;
    const resources = new Map<string, ScopeGrants>();
    for (const [scope, list] of byScope) {
      const first = list[0];
      if (first === undefined) continue;
      let grants: ScopeGrants;
      if (list.length <= this.mergeBindingsAbove) {
        grants = new SharedScope(list);
      } else {
        const merged = new MergedScope();
        for (const { binding, matcher } of list) merged.add(binding, matcher);
        grants = merged;
      }
      if (scope === undefined) tenant = grants;
      else resources.set(scope, grants);
    }
    return new Subject(this.tenantId, subjectId, tenant, resources);
  }

  /** The role's closure, compiled on first use and kept. Undefined for an unknown role. */
  private matcherOf(roleId: string): RoleMatcher | undefined {
    const node = this.nodes.get(roleId);
    if (node === undefined) return undefined;
    node.matcher ??= this.buildMatcher(node);
    return node.matcher;
  }

  /**
   * One breadth-first walk from the bound role: each permission is kept from the first role
   * holding it, i.e. at the fewest steps down, ties going to the earlier `inherits` entry (the
   * queue holds each level in that order, and a role is reached first through its earliest
   * shortest path).
   */
  private buildMatcher(root: RoleNode): RoleMatcher {
    const matcher = new RoleMatcher();
    let entries = 0;
    this.walk(root, (node, step) => {
      for (const permission of ownPermissions(node.role)) {
        if (typeof permission === 'string' && matcher.get(permission) === undefined) {
          matcher.set(permission, new Holder(permission, step));
          entries++;
        }
      }
      return true;
    });
    this.entries += entries;
    return matcher;
  }

  /**
   * Visits every role reachable from `root` (itself first) once, breadth first, children in
   * `inherits` order, each with its step (the path it was first reached by). Iterative; stops
   * when `visit` returns false.
   */
  private walk(root: RoleNode, visit: (node: RoleNode, step: Step) => boolean): void {
    const seen = new Set<RoleNode>([root]);
    const nodes: RoleNode[] = [root];
    const steps: Step[] = [new Step(root.role.name, undefined)];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const step = steps[i];
      if (node === undefined || step === undefined) break;
      if (!visit(node, step)) return;
      for (const childId of node.children) {
        const child = this.nodes.get(childId);
        if (child === undefined || seen.has(child)) continue;
        seen.add(child);
        nodes.push(child);
        steps.push(new Step(child.role.name, step));
      }
    }
  }
}

/** A role's own permissions as stored: callers skip what is not a string (odd data never throws). */
function ownPermissions(role: Role): readonly unknown[] {
  const own: unknown = role.permissions;
  return Array.isArray(own) ? own : [];
}

/** `undefined` = tenant-wide, the resource for a resource binding, `null` = unusable scope. */
function scopeKey(binding: RoleBinding): string | undefined | null {
  const scope = binding.scope as Partial<{ kind: unknown; resource: unknown }> | undefined;
  if (scope?.kind === 'tenant') return undefined;
  if (scope?.kind === 'resource' && typeof scope.resource === 'string') return scope.resource;
  return null;
}

/**
 * Compiles a tenant's roles (the system roles and custom ones) into the policy its subjects are
 * compiled against. Cheap (one pass over the graph); each role's closure is compiled when a
 * subject bound to it is first compiled, and kept for the policy's lifetime.
 */
export function compileTenantPolicy(
  tenantId: string,
  roles: readonly Role[],
  options: CompileOptions = {},
): TenantPolicy {
  return new CompiledTenant(tenantId, roles, options.mergeBindingsAbove ?? MERGE_BINDINGS_ABOVE);
}
