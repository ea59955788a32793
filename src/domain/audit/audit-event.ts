/** Who did it, as far as the service knows. Never a secret (no tokens, no passwords). */
export interface AuditActor {
  readonly subjectId?: string | undefined;
  readonly kind: 'user' | 'service' | 'anonymous';
  readonly ip?: string | undefined;
  readonly requestId?: string | undefined;
}

export interface AuditTarget {
  readonly type: string;
  readonly id: string;
}

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** Known actions; the type stays open (`string & {}`) so new contexts can add theirs. */
export type AuditAction =
  | 'auth.login.succeeded'
  | 'auth.login.failed'
  | 'auth.login.locked'
  | 'tenant.created'
  | 'tenant.updated'
  | 'tenant.suspended'
  | 'tenant.reactivated'
  | (string & {});

export type AuditDetailValue = string | number | boolean | null;

/**
 * One append-only record of something security-relevant that happened in a tenant. Details
 * are a flat JSON object of safe values: never passwords, tokens or secrets.
 */
export interface AuditEvent {
  readonly tenantId: string;
  readonly id: string;
  readonly occurredAt: Date;
  readonly actor: AuditActor;
  readonly action: AuditAction;
  readonly target?: AuditTarget | undefined;
  readonly outcome: AuditOutcome;
  readonly details: Readonly<Record<string, AuditDetailValue>>;
}
