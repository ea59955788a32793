import {
  type AuditChainState,
  AuditChainWalk,
  type Sha256,
} from '../../domain/audit/audit-chain.js';
import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import type { Actor } from '../shared/actor.js';

export interface AuditChainReport {
  readonly ok: boolean;
  /** Events verified before the first problem (all of them when ok). */
  readonly checked: number;
  /** The first sequence that does not verify; undefined when ok. */
  readonly firstBadSequence: number | undefined;
  /** What is wrong there ('' when ok). */
  readonly problem: string;
}

/** Events read per round trip: memory stays bounded however long the chain is. */
export const VERIFY_BATCH_SIZE = 1000;

/**
 * Recomputes the acting tenant's hash chain from its anchor (genesis, or where the owner last
 * pruned) up to the head as it is when the walk starts, page by page in sequence order, and
 * reports the first event that does not verify: a sequence gap (a deleted event), a broken
 * link or a hash mismatch (an altered event), or a chain that stops short of its head (deleted
 * latest events).
 */
export class AuditChainVerifier {
  constructor(
    private readonly log: AuditLog,
    private readonly sha256: Sha256,
    private readonly batchSize = VERIFY_BATCH_SIZE,
  ) {}

  async run(actor: Actor): Promise<AuditChainReport> {
    const tenantId = actor.tenantId;
    let state = await this.log.chainState(tenantId);
    let report = await this.walk(tenantId, state);
    // An owner's prune may have moved the anchor (and deleted what was below it) while we
    // walked: that is no gap. Walk again from the new anchor.
    for (let retry = 0; !report.ok && retry < 2; retry += 1) {
      const now = await this.log.chainState(tenantId);
      if (now.anchor.sequence === state.anchor.sequence) break;
      state = now;
      report = await this.walk(tenantId, state);
    }
    return report;
  }

  private async walk(
    tenantId: string,
    { anchor, head }: AuditChainState,
  ): Promise<AuditChainReport> {
    const walk = new AuditChainWalk(this.sha256, anchor);
    for (;;) {
      const from = walk.position.sequence;
      const batch = await this.log.chainSlice(tenantId, from, head.sequence, this.batchSize);
      const intact = batch.every((event) => walk.check(event));
      if (!intact || batch.length < this.batchSize) break;
    }
    const problem = walk.finish(head);
    return {
      ok: problem === undefined,
      checked: walk.checked,
      firstBadSequence: problem?.sequence,
      problem: problem?.problem ?? '',
    };
  }
}
