/** A tenant's roles or bindings changed; its policy version is now at least `version`. */
export interface PolicyChange {
  readonly tenantId: string;
  readonly version: number;
}

/**
 * Tells every replica (this one at once) that a tenant's policy changed, so compiled policies
 * cached for an older version are dropped. Announced only once the change has committed.
 */
export interface PolicyChanges {
  changed(change: PolicyChange): void;
  onChanged(listener: (change: PolicyChange) => void): void;
  /** The feed may have missed announcements (e.g. it reconnected): drop everything cached. */
  onReset(listener: () => void): void;
}
