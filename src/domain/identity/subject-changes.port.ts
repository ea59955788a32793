import type { PrincipalKind } from './principal.js';
import type { User } from './user.js';

/** A user or service account whose stored state changed (disabled, deleted, edited...). */
export interface SubjectChange {
  readonly tenantId: string;
  readonly subjectId: string;
}

/**
 * Tells every replica (this one at once) that subjects changed, so whatever it cached about
 * them is dropped and read again. Announced only once the change has committed.
 */
export interface SubjectChanges {
  changed(changes: readonly SubjectChange[]): void;
  onChanged(listener: (change: SubjectChange) => void): void;
  /** The feed may have missed announcements (e.g. it reconnected): drop everything cached. */
  onReset(listener: () => void): void;
}

/**
 * Whether a token's subject may still act, on the hot path: a disabled user or a deleted
 * service account may not. `true`/`false` when known from memory, a promise otherwise.
 */
export interface SubjectLiveness {
  isActive(tenantId: string, kind: PrincipalKind, subjectId: string): boolean | Promise<boolean>;
}

/** Reads one user by id in its tenant (possibly from a cache kept fresh by `SubjectChanges`). */
export interface UserReader {
  byId(tenantId: string, userId: string): Promise<User | undefined>;
}
