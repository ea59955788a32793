import { randomBytes } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { Knex } from 'knex';

import {
  AuditChainWalk,
  type ChainLink,
  type ChainProblem,
  type Sha256,
} from '../../../domain/audit/audit-chain.js';
import { PLATFORM_TENANT_ID } from '../../../domain/shared/platform-tenant.js';
import { sha256Hex } from '../shared/sha256.js';
import { type AuditRow, chainedEventOfRow } from './pg-audit-log.js';
import { tenantTransaction } from './tenant-transactions.js';
import { SCHEMA } from './pg-schema.js';

const EVENTS = `${SCHEMA}.audit_events`;
const HEADS = `${SCHEMA}.audit_chain_heads`;

export interface AuditPruneOptions {
  /** Events that occurred before this are pruned (as a prefix of each tenant's chain). */
  readonly cutoff: Date;
  /**
   * The JSON-lines file the pruned events are exported to, complete and synced before any is
   * deleted. It must not exist yet (it is never overwritten nor appended to); no file is
   * written when nothing is to be pruned.
   */
  readonly exportPath: string;
  readonly batchSize?: number;
  readonly sha256?: Sha256;
}

export interface TenantPrune {
  readonly tenantId: string;
  /** The chain's anchor after the run: the last pruned event. */
  readonly anchor: ChainLink;
  readonly exported: number;
  readonly deleted: number;
  /**
   * Why this tenant was skipped (nothing of it exported, anchored or deleted): its chain does
   * not verify (the evidence must not go), or another prune moved its anchor meanwhile.
   */
  readonly problem?: ChainProblem;
}

interface HeadRow {
  anchor_sequence: string;
  anchor_hash: Buffer;
  last_sequence: string;
}

/** A tenant whose prefix up to `cut` is in the export file, not yet anchored nor deleted. */
interface ExportedTenant {
  readonly tenantId: string;
  readonly anchor: ChainLink;
  readonly newAnchor: ChainLink;
  readonly exported: number;
}

/** Runs `work` as the owner with `tenantId` set (and filters by it too: a superuser bypasses RLS). */
const inTenantOf =
  (owner: Knex, tenantId: string) =>
  <T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> =>
    tenantTransaction(owner, tenantId, work);

/**
 * Export-then-prune of the audit log, run as the database OWNER (the app role can neither
 * DELETE audit events nor move a chain's anchor). Crash-safe in two phases:
 *
 * 1. export: per tenant, the cut (the longest prefix of the chain after its current anchor
 *    whose events all occurred before `cutoff`; a chain can only lose a prefix, or it would not
 *    verify), written in sequence order, with sequence, previous hash and hash, as JSON lines
 *    to a temporary file next to `exportPath`, verified on the way. A tenant whose chain does
 *    not verify is cut back out of the file and skipped (reported with its problem: a tampered
 *    chain is never pruned, the evidence would go with it); the others go on. The file is then
 *    fsynced, linked to `exportPath` (never replacing a file) and its directory fsynced: a
 *    crash before leaves only the temporary file and nothing pruned.
 * 2. prune: per exported tenant, the anchor moves to its last exported event (VerifyAuditChain
 *    starts there; the export file alone proves the pruned part, it chains from the previous
 *    anchor to the new one), then events at or below the anchor are deleted in batches (the
 *    append-only trigger lets only those through). Re-running after a crash finishes the deletes.
 */
export async function pruneAuditLog(
  owner: Knex,
  options: AuditPruneOptions,
): Promise<TenantPrune[]> {
  const batchSize = options.batchSize ?? 1000;
  const sha256 = options.sha256 ?? sha256Hex;
  const tenants = await tenantTransaction(owner, PLATFORM_TENANT_ID, (trx) =>
    trx<{ id: string }>(`${SCHEMA}.tenants`).select('id').orderBy('id'),
  );

  const skipped: TenantPrune[] = [];
  const exported: ExportedTenant[] = [];
  const directory = dirname(options.exportPath);
  const temporary = join(
    directory,
    `.${basename(options.exportPath)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const file = await open(temporary, 'wx', 0o600);
  try {
    let offset = 0;
    for (const { id: tenantId } of tenants) {
      const inTenant = inTenantOf(owner, tenantId);
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
      const start = offset;
      let count = 0;
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
        const text = Buffer.from(events.map((event) => `${JSON.stringify(event)}\n`).join(''));
        const { bytesWritten } = await file.write(text, 0, text.length, offset);
        offset += bytesWritten;
        count += events.length;
      }
      if (walk.problem !== undefined || walk.position.sequence !== cut) {
        // Nothing of this tenant goes: its lines are cut back out of the export.
        await file.truncate(start);
        offset = start;
        skipped.push({
          tenantId,
          anchor,
          exported: 0,
          deleted: 0,
          problem: walk.problem ?? {
            sequence: walk.position.sequence + 1,
            problem: `sequence gap: expected ${String(walk.position.sequence + 1)}`,
          },
        });
        continue;
      }
      exported.push({ tenantId, anchor, newAnchor: walk.position, exported: count });
    }
    await file.sync();
    await file.close();
    if (offset > 0) {
      // link, not rename: an existing export is never replaced.
      await link(temporary, options.exportPath);
      const dir = await open(directory, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  } finally {
    // Published (linked) or not, the temporary name goes; before publishing, nothing was
    // anchored nor deleted, so a failed run can simply be repeated.
    await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
  }

  const results: TenantPrune[] = [...skipped];
  for (const tenant of exported) {
    results.push(await pruneTenant(owner, tenant, batchSize));
  }
  return results.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
}

/** Phase 2 for one tenant whose export is durable: move its anchor, delete up to it. */
async function pruneTenant(
  owner: Knex,
  { tenantId, anchor, newAnchor, exported }: ExportedTenant,
  batchSize: number,
): Promise<TenantPrune> {
  const inTenant = inTenantOf(owner, tenantId);
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
      return {
        tenantId,
        anchor,
        exported: 0,
        deleted: 0,
        problem: {
          sequence: anchor.sequence + 1,
          problem:
            "another prune moved the anchor meanwhile: this run pruned nothing of it (its lines in this export repeat that run's)",
        },
      };
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
  return { tenantId, anchor: newAnchor, exported, deleted };
}
