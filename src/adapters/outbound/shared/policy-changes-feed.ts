import type {
  PolicyChange,
  PolicyChanges,
} from '../../../domain/authorization/policy-changes.port.js';
import type { SessionRevocations } from '../../../domain/identity/session-store.port.js';

/**
 * `PolicyChanges` carried by an id broadcast (the LISTEN/NOTIFY or Redis pub/sub adapter that
 * carries session revocations, on a channel of its own): each change travels as
 * `<tenantId>@<version>`. Whatever does not parse is ignored.
 */
export class PolicyChangesFeed implements PolicyChanges {
  constructor(private readonly feed: SessionRevocations) {}

  changed({ tenantId, version }: PolicyChange): void {
    this.feed.revoked([`${tenantId}@${String(version)}`]);
  }

  onChanged(listener: (change: PolicyChange) => void): void {
    this.feed.onRevoked((message) => {
      const at = message.indexOf('@');
      if (at <= 0) return;
      const version = Number(message.slice(at + 1));
      if (!Number.isSafeInteger(version) || version < 0) return;
      listener({ tenantId: message.slice(0, at).toLowerCase(), version });
    });
  }

  onReset(listener: () => void): void {
    this.feed.onReset(listener);
  }
}
