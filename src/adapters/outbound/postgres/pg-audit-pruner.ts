import { open } from 'node:fs/promises';

import type { Knex } from 'knex';

import { AuditChainWalk, type ChainLink, type Sha256 } from '../../../domain/audit/audit-chain.js';
import { PLATFORM_TENANT_ID } from '../../../domain/shared/platform-tenant.js';
import { sha256Hex } from '../shared/sha256.js';
import { type AuditRow, chainedEventOfRow } from './pg-audit-log.js';
import { setTenant } from './pg-request-transactions.js';
import { SCHEMA } from './pg-schema.js';

const EVENTS = `${SCHEMA}.audit_events`;
const HEADS = `${SCHEMA}.audit_chain_heads`;

export interface AuditPruneOptions {
  /** Events that occurred before this are pruned (as a prefix of each tenant's chain). */
  readonly cutoff: Date;
  /** JSON-lines file the pruned events are appended to (and synced) before any is deleted. */
  readonly exportPath: string;
  readonly batchSize?: number;
  readonly sha256?: Sha256;
}

export interface TenantPrune {
  readonly tenantId: string;
  /** The chain's new anchor: the last pruned event. */
  readonly anchor: ChainLink;
  readonly exported: number;
  readonly deleted: number;
}

interface HeadRow {
  anchor_sequence: string;
  anchor_hash: Buffer;
  last_sequence: string;
}

/**
 * Export-then-prune of the audit log, run as the database OWNER (the app role can neither
 * DELETE audit events nor move a chain's anchor). Per tenant:
 *
 * 1. the cut: the longest prefix of the chain (after its current anchor) whose events all
 *    occurred before `cutoff` (a chain can only lose a prefix, or it would not verify);
 * 2. export: those events, in sequence order, with their sequence, previous hash and hash,
 *    appended to `exportPath` as JSON lines and fsynced; their chain is verified on the way
 *    (a tampered chain is never pruned: the evidence would go with it);
 * 3. the anchor moves to the last exported event (its sequence and hash, in
 *    `core.audit_chain_heads`): VerifyAuditChain now starts there, and the export file alone
 *    proves the pruned part (it chains from the previous anchor to the new one);
 * 4. delete, in batches: the append-only trigger lets DELETE through only for events at or
 *    below their tenant's anchor. Re-running after a crash finishes the deletes.
 */
export async function pruneAuditLog(
  owner: Knex,
  options: AuditPruneOptions,
): Promise<TenantPrune[]> {
  const batchSize = options.batchSize ?? 1000;
  const sha256 = options.sha256 ?? sha256Hex;
  const tenants = await owner.transaction(async (trx) => {
    await setTenant(trx, PLATFORM_TENANT_ID);
    return trx<{ id: string }>(`${SCHEMA}.tenants`).select('id').orderBy('id');
  });
  const file = await open(options.exportPath, 'a', 0o600);
  const results: TenantPrune[] = [];
  try {
    for (const { id: tenantId } of tenants) {
      // With the tenant set for an owner under forced RLS, and filtered by tenant_id anyway
      // for an owner that bypasses RLS (a superuser).
      const inTenant = <T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> =>
        owner.transaction(async (trx) => {
          await setTenant(trx, tenantId);
          return work(trx);
        });
      const head = await inTenant((trx) =>
        trx<HeadRow>(HEADS).select('*').where('tenant_id', tenantId).first(),
      );
      if (head === undefined) continue;
      const anchor: ChainLink = {
        sequence: Number(head.anchor_sequence),
        hash: head.anchor_hash.toString('hex'),
      };
      const cut = await inTenant(async (trx) => {
        const kept = await trx(EVENTS)
          .min<{ first: string | null }>('sequence as first')
          .where('tenant_id', tenantId)
          .andWhere('sequence', '>', anchor.sequence)
          .andWhere('occurred_at', '>=', options.cutoff)
          .first();
        const last = Number(head.last_sequence);
        return kept?.first == null ? last : Math.min(Number(kept.first) - 1, last);
      });

      // Export (and verify) anchor+1 .. cut.
      const walk = new AuditChainWalk(sha256, anchor);
      let exported = 0;
      while (walk.position.sequence < cut) {
        const rows = await inTenant((trx) =>
          trx<AuditRow>(EVENTS)
            .select('*')
            .where('tenant_id', tenantId)
            .andWhere('sequence', '>', walk.position.sequence)
            .andWhere('sequence', '<=', cut)
            .orderBy('sequence')
            .limit(batchSize),
        );
        const events = rows.map(chainedEventOfRow);
        if (events.length === 0 || !events.every((event) => walk.check(event))) break;
        await file.write(events.map((event) => `${JSON.stringify(event)}\n`).join(''));
        exported += events.length;
      }
      if (walk.problem !== undefined || walk.position.sequence !== cut) {
        const problem = walk.problem ?? { sequence: walk.position.sequence + 1, problem: 'gap' };
        throw new Error(
          `audit prune: tenant ${tenantId}'s chain does not verify at sequence ${String(problem.sequence)} (${problem.problem}); nothing of it was pruned`,
        );
      }
      await file.sync();

      const newAnchor = walk.position;
      if (newAnchor.sequence > anchor.sequence) {
        const moved = await inTenant((trx) =>
          trx(HEADS)
            .where({ tenant_id: tenantId, anchor_sequence: anchor.sequence })
            .update({
              anchor_sequence: newAnchor.sequence,
              anchor_hash: Buffer.from(newAnchor.hash, 'hex'),
              anchored_at: trx.fn.now(),
            }),
        );
        if (moved !== 1) {
          throw new Error(`audit prune: another prune moved tenant ${tenantId}'s anchor meanwhile`);
        }
      }
      let deleted = 0;
      for (;;) {
        const count = await inTenant((trx) =>
          trx(EVENTS)
            .where('tenant_id', tenantId)
            .whereIn(
              'sequence',
              trx(EVENTS)
                .select('sequence')
                .where('tenant_id', tenantId)
                .andWhere('sequence', '<=', newAnchor.sequence)
                .orderBy('sequence')
                .limit(batchSize),
            )
            .delete(),
        );
        deleted += count;
        if (count < batchSize) break;
      }
      results.push({ tenantId, anchor: newAnchor, exported, deleted });
    }
  } finally {
    await file.close();
  }
  return results;
}
