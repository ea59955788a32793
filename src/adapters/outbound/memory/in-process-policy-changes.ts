import type {
  PolicyChange,
  PolicyChanges,
} from '../../../domain/authorization/policy-changes.port.js';

/** Policy changes within one process (tests, single-replica use): listeners hear them at once. */
export class InProcessPolicyChanges implements PolicyChanges {
  private readonly listeners: ((change: PolicyChange) => void)[] = [];
  private readonly resetListeners: (() => void)[] = [];

  changed(change: PolicyChange): void {
    for (const listener of this.listeners) listener(change);
  }

  onChanged(listener: (change: PolicyChange) => void): void {
    this.listeners.push(listener);
  }

  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  /** As a reconnecting feed would: everything announced meanwhile is unknown. */
  reset(): void {
    for (const listener of this.resetListeners) listener();
  }
}
