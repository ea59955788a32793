import type { SessionRevocations } from '../../../domain/identity/session-store.port.js';

/** Revocations heard by this process only (tests, single-process setups). */
export class InProcessSessionRevocations implements SessionRevocations {
  private readonly listeners: ((sessionId: string) => void)[] = [];
  private readonly resetListeners: (() => void)[] = [];

  revoked(sessionIds: readonly string[]): void {
    for (const id of sessionIds) for (const listener of this.listeners) listener(id);
  }

  onRevoked(listener: (sessionId: string) => void): void {
    this.listeners.push(listener);
  }

  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  /** Simulates a reconnected feed. */
  reset(): void {
    for (const listener of this.resetListeners) listener();
  }
}
