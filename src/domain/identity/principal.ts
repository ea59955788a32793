export type PrincipalKind = 'user' | 'service';

/** Who is calling, as proven by a verified access token. */
export interface Principal {
  readonly subjectId: string;
  readonly tenantId: string;
  readonly kind: PrincipalKind;
  readonly roles: readonly string[];
  readonly sessionId: string | undefined;
  readonly expiresAt: Date;
}
