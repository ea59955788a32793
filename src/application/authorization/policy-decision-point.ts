import type { AuditEvent } from '../../domain/audit/audit-event.js';
import type { AuditRecorder } from '../../domain/audit/audit-recorder.port.js';
import { permissionDenied } from '../../domain/authorization/authorization.errors.js';
import { parsePermission, permissionCovers } from '../../domain/authorization/permission.js';
import type { CompiledSubject, Decision } from '../../domain/authorization/policy-engine.js';
import { parseResource } from '../../domain/authorization/resource.js';
import type { Principal } from '../../domain/identity/principal.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import { InvalidArgumentError } from '../../domain/shared/errors.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import type { Actor } from '../shared/actor.js';
import type { AuditContext } from '../shared/audit-context.js';
import type { PolicyCache } from './policy-cache.port.js';

export const MAX_CHECK_ITEMS = 100;
/** Checking anyone but yourself (in your own tenant) needs this. */
export const CHECK_OTHERS_PERMISSION = 'authz:check';

/** Permissions whose granted checks are audited too (denied checks always are). */
export const DEFAULT_SENSITIVE_PERMISSIONS =
  'roles:assign,roles:write,tenant:write,service-accounts:write,platform:*';

/** Parses AUTHZ_SENSITIVE_PERMISSIONS: comma-separated permissions, wildcards allowed. */
export function parseSensitivePermissions(raw: string): readonly string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part, index) => parsePermission(`AUTHZ_SENSITIVE_PERMISSIONS[${String(index)}]`, part));
}

export interface CheckInput {
  /** Empty: the caller. */
  readonly subjectId: string;
  readonly permission: string;
  /** Empty: tenant-wide. */
  readonly resource: string;
}

/**
 * One answer: the engine's decision (shared by identical questions while it holds, so adapters
 * may keep what they derive from it) and an id unique to this answer.
 */
export class CheckOutcome implements Decision {
  constructor(
    readonly decision: Decision,
    /** Unique per decision; audited decisions are stored under this id. */
    readonly decisionId: string,
  ) {}

  get allowed(): boolean {
    return this.decision.allowed;
  }
  get bindingId(): string | undefined {
    return this.decision.bindingId;
  }
  get rolePath(): readonly string[] {
    return this.decision.rolePath;
  }
  get matchedPermission(): string | undefined {
    return this.decision.matchedPermission;
  }
  get summary(): string {
    return this.decision.summary;
  }
  get expiresAt(): Date | undefined {
    return this.decision.expiresAt;
  }

  /** Logged or serialized like the plain decision it stands for. */
  toJSON(): Decision & { readonly decisionId: string } {
    return { ...this.decision, decisionId: this.decisionId };
  }
}

/** What the call is, for the audit trail of access decisions. */
export interface AccessContext extends AuditContext {
  /** The RPC (full method path) the decision guarded, when it came from the interceptor. */
  readonly operation?: string | undefined;
}

/** The context, or how to make it: only an audited decision needs it (off the fast path). */
export type LazyAccessContext = AccessContext | (() => AccessContext);

const contextOf = (context: LazyAccessContext): AccessContext =>
  typeof context === 'function' ? context() : context;

/** Made at most once however many of a call's decisions are audited. */
function once(context: LazyAccessContext): LazyAccessContext {
  if (typeof context !== 'function') return context;
  let made: AccessContext | undefined;
  return () => (made ??= context());
}

interface ParsedCheck {
  readonly subjectId: string;
  readonly permission: string;
  readonly resource: string | undefined;
}

const MAX_REMEMBERED_SENSITIVITY = 1_000;
const NONE: ReadonlySet<string> = new Set();

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * The policy decision point: answers whether a subject holds a permission in a tenant,
 * tenant-wide or on a resource, from compiled policies (cached per replica, see PolicyCache).
 * Denied decisions, and Check/CheckMany grants of sensitive permissions, go to the audit log
 * through the buffered recorder, off the request path.
 */
export class PolicyDecisionPoint {
  /** Whether a permission is sensitive, per permission asked (checked on every grant). */
  private readonly sensitivity = new Map<string, boolean>();

  constructor(
    private readonly cache: PolicyCache,
    private readonly uow: UnitOfWork,
    private readonly recorder: AuditRecorder,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly sensitive: readonly string[],
  ) {}

  /**
   * The interceptor's question: may this principal do what needs `permission`, in its own
   * tenant. Returns at once when the compiled subject is cached; throws PERMISSION_DENIED
   * (audited) when not.
   */
  authorize(
    principal: Principal,
    permission: string,
    context: LazyAccessContext,
  ): void | Promise<void> {
    const compiled = this.cache.subject(principal.tenantId, principal.subjectId);
    if (isPromise(compiled)) {
      return compiled.then((subject) => {
        this.enforce(principal, subject, permission, context);
      });
    }
    this.enforce(principal, compiled, permission, context);
    return undefined;
  }

  /** Whether the principal holds `permission` in its own tenant (no audit, no error). */
  holds(principal: Principal, permission: string): boolean | Promise<boolean> {
    const compiled = this.cache.subject(principal.tenantId, principal.subjectId);
    const now = this.clock.now();
    return isPromise(compiled)
      ? compiled.then((subject) => subject.decide(permission, undefined, now).allowed)
      : compiled.decide(permission, undefined, now).allowed;
  }

  /** The caller's compiled subject in its own tenant. */
  async subjectOf(principal: Principal): Promise<CompiledSubject> {
    return this.cache.subject(principal.tenantId, principal.subjectId);
  }

  /** Check: one decision for a subject (default: the caller) in the acting tenant. */
  async check(
    actor: Actor,
    input: CheckInput,
    context: LazyAccessContext = {},
  ): Promise<CheckOutcome> {
    const self = actor.principal.subjectId.toLowerCase();
    const parsed = this.parse(self, input);
    await this.mayCheck(actor, [parsed], self, context);
    const [outcome] = await this.decideAll(actor, [parsed], self, context);
    if (outcome === undefined) throw new Error('no decision');
    return outcome;
  }

  /** CheckMany: 1..100 decisions, in the order asked. */
  async checkMany(
    actor: Actor,
    items: readonly CheckInput[],
    context: LazyAccessContext = {},
  ): Promise<CheckOutcome[]> {
    if (items.length === 0 || items.length > MAX_CHECK_ITEMS) {
      throw new InvalidArgumentError(
        'items',
        `must hold 1 to ${String(MAX_CHECK_ITEMS)} checks (got ${String(items.length)})`,
      );
    }
    const self = actor.principal.subjectId.toLowerCase();
    const parsed = items.map((item, index) => this.parseItem(self, item, index));
    const shared = once(context);
    await this.mayCheck(actor, parsed, self, shared);
    return this.decideAll(actor, parsed, self, shared);
  }

  /** The effective permissions of a subject (default: the caller), sorted, wildcards kept. */
  async listPermissions(
    actor: Actor,
    input: { readonly subjectId: string; readonly resource: string },
    context: LazyAccessContext = {},
  ): Promise<readonly string[]> {
    const self = actor.principal.subjectId.toLowerCase();
    const parsed = this.parse(self, { ...input, permission: '*' });
    await this.mayCheck(actor, [parsed], self, context);
    const subject = await this.cache.subject(actor.tenantId, parsed.subjectId);
    return subject.permissions(parsed.resource, this.clock.now());
  }

  /** `self`: the caller's subject id, lowercase (what an empty subject id stands for). */
  private parse(self: string, input: CheckInput): ParsedCheck {
    return {
      subjectId: input.subjectId === '' ? self : parseUuid('subject_id', input.subjectId),
      permission: parsePermission('permission', input.permission),
      resource: input.resource === '' ? undefined : parseResource('resource', input.resource),
    };
  }

  /** One CheckMany item; a bad field is named by its path (the path is made only then). */
  private parseItem(self: string, input: CheckInput, index: number): ParsedCheck {
    try {
      return this.parse(self, input);
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error.within(`items[${String(index)}].`);
      throw error;
    }
  }

  /** Anyone but yourself in your own tenant needs authz:check (in your own tenant). */
  private async mayCheck(
    actor: Actor,
    checks: readonly ParsedCheck[],
    self: string,
    context: LazyAccessContext,
  ): Promise<void> {
    const { principal } = actor;
    const ownTenant =
      actor.tenantId === principal.tenantId ||
      actor.tenantId.toLowerCase() === principal.tenantId.toLowerCase();
    if (ownTenant && checks.every((check) => check.subjectId === self)) return;
    await this.authorize(principal, CHECK_OTHERS_PERMISSION, context);
  }

  private async decideAll(
    actor: Actor,
    checks: readonly ParsedCheck[],
    self: string,
    context: LazyAccessContext,
  ): Promise<CheckOutcome[]> {
    const now = this.clock.now();
    const subjects = await this.compiledSubjects(actor.tenantId, checks);
    const decisions = checks.map((check) => {
      const subject = subjects.get(check.subjectId);
      if (subject === undefined) throw new Error('subject not compiled');
      return subject.decide(check.permission, check.resource, now);
    });
    // A denied check of someone else may be about a subject that does not exist: say so.
    const unknown = await this.unknownSubjects(actor, checks, decisions, self);
    return checks.map((check, index) => {
      const decision = decisions[index];
      if (decision === undefined) throw new Error('no decision');
      const explained: Decision = unknown.has(check.subjectId)
        ? {
            ...decision,
            summary: `unknown subject ${check.subjectId}: no user or service account with this id in the tenant`,
          }
        : decision;
      const decisionId = this.ids.newId();
      this.audit(actor.tenantId, actor.principal, check, explained, decisionId, now, context);
      return new CheckOutcome(explained, decisionId);
    });
  }

  /** The compiled subjects the checks ask about; no await when all are cached. */
  private compiledSubjects(
    tenantId: string,
    checks: readonly ParsedCheck[],
  ): Map<string, CompiledSubject> | Promise<Map<string, CompiledSubject>> {
    const compiled = new Map<string, CompiledSubject>();
    const ids = [...new Set(checks.map((check) => check.subjectId))];
    for (const [index, subjectId] of ids.entries()) {
      const subject = this.cache.subject(tenantId, subjectId);
      if (isPromise(subject)) {
        // One load at a time: a CheckMany about 100 uncached subjects never takes 100
        // connections at once.
        return (async () => {
          compiled.set(subjectId, await subject);
          for (const rest of ids.slice(index + 1)) {
            compiled.set(rest, await this.cache.subject(tenantId, rest));
          }
          return compiled;
        })();
      }
      compiled.set(subjectId, subject);
    }
    return compiled;
  }

  private async unknownSubjects(
    actor: Actor,
    checks: readonly ParsedCheck[],
    decisions: readonly Decision[],
    self: string,
  ): Promise<ReadonlySet<string>> {
    const suspects = new Set<string>();
    checks.forEach((check, index) => {
      if (check.subjectId !== self && decisions[index]?.allowed === false) {
        suspects.add(check.subjectId);
      }
    });
    if (suspects.size === 0) return NONE;
    const unknown = new Set<string>();
    await this.uow.inTenant(actor.tenantId, async (scope) => {
      for (const id of suspects) {
        const exists =
          (await scope.users.findById(id)) !== undefined ||
          (await scope.serviceAccounts.findById(id)) !== undefined;
        if (!exists) unknown.add(id);
      }
    });
    return unknown;
  }

  private enforce(
    principal: Principal,
    subject: CompiledSubject,
    permission: string,
    context: LazyAccessContext,
  ): void {
    const now = this.clock.now();
    const decision = subject.decide(permission, undefined, now);
    // A granted call is recorded by the call's own audit event (tenant.updated, authz.role.*...):
    // recording the interceptor's grant as well would write one more event for every call of
    // every operator, on the hot path's CPU. Sensitive grants are audited for Check/CheckMany.
    if (decision.allowed) return;
    const check = { subjectId: principal.subjectId, permission, resource: undefined };
    const id = this.ids.newId();
    this.audit(principal.tenantId, principal, check, decision, id, now, context);
    throw permissionDenied(permission);
  }

  /**
   * Refuses a permission the caller cannot hold from where it stands (a platform method called
   * from outside the platform tenant), recording the denial like any other.
   */
  deny(principal: Principal, permission: string, why: string, context: LazyAccessContext): never {
    const check = { subjectId: principal.subjectId, permission, resource: undefined };
    const decision: Decision = {
      allowed: false,
      bindingId: undefined,
      rolePath: [],
      matchedPermission: undefined,
      summary: why,
    };
    const now = this.clock.now();
    this.audit(principal.tenantId, principal, check, decision, this.ids.newId(), now, context);
    throw permissionDenied(permission);
  }

  /** Records a refused privileged change (escalation, last owner); fire and forget. */
  recordRefused(event: AuditEvent): void {
    this.recorder.record(event);
  }

  private isSensitive(permission: string): boolean {
    let sensitive = this.sensitivity.get(permission);
    if (sensitive === undefined) {
      sensitive = this.sensitive.some((pattern) => permissionCovers(pattern, permission));
      // Asked permissions are few in practice; a flood of distinct ones only restarts the memo.
      if (this.sensitivity.size >= MAX_REMEMBERED_SENSITIVITY) this.sensitivity.clear();
      this.sensitivity.set(permission, sensitive);
    }
    return sensitive;
  }

  /** Denied decisions always, granted ones for sensitive permissions; fire and forget. */
  private audit(
    tenantId: string,
    principal: Principal,
    check: ParsedCheck,
    decision: Decision,
    decisionId: string,
    now: Date,
    lazyContext: LazyAccessContext,
  ): void {
    if (decision.allowed && !this.isSensitive(check.permission)) return;
    const context = contextOf(lazyContext);
    const event: AuditEvent = {
      tenantId,
      id: decisionId,
      occurredAt: now,
      actor: {
        subjectId: principal.subjectId,
        kind: principal.kind,
        ip: context.ip,
        requestId: context.requestId,
      },
      action: decision.allowed ? 'authz.check.granted' : 'authz.check.denied',
      target: { type: 'subject', id: check.subjectId },
      outcome: decision.allowed ? 'success' : 'denied',
      details: {
        permission: check.permission,
        resource: check.resource ?? null,
        decisionId,
        summary: decision.summary.slice(0, 500),
        ...(decision.allowed
          ? {
              bindingId: decision.bindingId ?? null,
              rolePath: decision.rolePath.join(' > '),
              matchedPermission: decision.matchedPermission ?? null,
            }
          : {}),
        ...(context.operation === undefined ? {} : { operation: context.operation }),
        ...(tenantId === principal.tenantId ? {} : { actorTenantId: principal.tenantId }),
      },
    };
    this.recorder.record(event);
  }
}
