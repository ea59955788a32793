import type { SessionRevocations } from '../../../domain/identity/session-store.port.js';
import type {
  SubjectChange,
  SubjectChanges,
} from '../../../domain/identity/subject-changes.port.js';

/**
 * `SubjectChanges` carried by an id broadcast (the LISTEN/NOTIFY or Redis pub/sub adapter that
 * carries session revocations, on a channel of its own): each change travels as
 * `<tenantId>/<subjectId>`. Whatever does not parse is ignored.
 */
export class SubjectChangesFeed implements SubjectChanges {
  constructor(private readonly feed: SessionRevocations) {}

  changed(changes: readonly SubjectChange[]): void {
    if (changes.length === 0) return;
    this.feed.revoked(changes.map(({ tenantId, subjectId }) => `${tenantId}/${subjectId}`));
  }

  onChanged(listener: (change: SubjectChange) => void): void {
    this.feed.onRevoked((id) => {
      const slash = id.indexOf('/');
      if (slash <= 0 || slash === id.length - 1) return;
      listener({ tenantId: id.slice(0, slash), subjectId: id.slice(slash + 1) });
    });
  }

  onReset(listener: () => void): void {
    this.feed.onReset(listener);
  }
}
