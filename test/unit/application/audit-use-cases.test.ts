import { describe, expect, it } from 'vitest';

import { InMemoryAuditLog } from '../../../src/adapters/outbound/memory/in-memory-audit-log.js';
import { sha256Hex } from '../../../src/adapters/outbound/shared/sha256.js';
import { AuditEventLister } from '../../../src/application/audit/list-audit-events.js';
import { AuditChainVerifier } from '../../../src/application/audit/verify-audit-chain.js';
import type { Actor } from '../../../src/application/shared/actor.js';
import type { AuditChainState, ChainedAuditEvent } from '../../../src/domain/audit/audit-chain.js';
import { anAuditEvent } from '../../mothers/audit-event.mother.js';
import { TENANT_A_ID } from '../../mothers/tenant.mother.js';

const actor = {
  tenantId: TENANT_A_ID,
  principal: { tenantId: TENANT_A_ID, subjectId: 'x', kind: 'user' },
} as unknown as Actor;
const id = (n: number): string => `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function logWith(count: number): Promise<InMemoryAuditLog> {
  const log = new InMemoryAuditLog();
  for (let n = 1; n <= count; n += 1) await log.append([anAuditEvent({ id: id(n) })]);
  return log;
}

/** A log the owner prunes (anchor to 2, events 1..2 gone) right after the verifier read it. */
class PrunedMeanwhile extends InMemoryAuditLog {
  private reads = 0;
  private anchorHash = '';
  pruned = false;

  override async chainState(tenantId: string): Promise<AuditChainState> {
    const state = await super.chainState(tenantId);
    this.reads += 1;
    if (this.reads === 1) {
      const [, second] = await super.chainSlice(tenantId, 0, 2, 2);
      this.anchorHash = second?.hash ?? '';
      this.pruned = true;
      return state;
    }
    return { ...state, anchor: { sequence: 2, hash: this.anchorHash } };
  }

  override async chainSlice(
    tenantId: string,
    after: number,
    upTo: number,
    limit: number,
  ): Promise<readonly ChainedAuditEvent[]> {
    const slice = await super.chainSlice(tenantId, after, upTo, limit);
    return this.pruned ? slice.filter((event) => event.sequence > 2) : slice;
  }
}

describe('AuditChainVerifier', () => {
  it('walks again from the new anchor when a prune moved it during the walk', async () => {
    const log = new PrunedMeanwhile();
    for (let n = 1; n <= 4; n += 1) await log.append([anAuditEvent({ id: id(n) })]);
    expect(await new AuditChainVerifier(log, sha256Hex, 1).run(actor)).toEqual({
      ok: true,
      checked: 2,
      firstBadSequence: undefined,
      problem: '',
    });
  });
});

describe('AuditEventLister', () => {
  it('pages newest first with an opaque sequence cursor', async () => {
    const lister = new AuditEventLister(await logWith(5));
    const first = await lister.run(actor, { filter: {}, pageSize: 2, after: undefined });
    expect(first.items.map((event) => event.sequence)).toEqual([5, 4]);
    expect(first.nextAfter).toBe('4');
    const last = await lister.run(actor, { filter: {}, pageSize: 10, after: first.nextAfter });
    expect(last.items.map((event) => event.sequence)).toEqual([3, 2, 1]);
    expect(last.nextAfter).toBeUndefined();
  });

  it.each([
    [{ pageSize: -1 }, 'page.page_size'],
    [{ pageSize: 501 }, 'page.page_size'],
    [{ after: '0' }, 'page.page_token'],
    [{ after: 'abc' }, 'page.page_token'],
    [{ after: '99999999999999999999' }, 'page.page_token'],
    [{ filter: { actionPrefix: 'a'.repeat(257) } }, 'filter.action_prefix'],
    [{ filter: { actorSubjectId: 's'.repeat(257) } }, 'filter.actor_subject_id'],
    [{ filter: { since: new Date(2), until: new Date(1) } }, 'filter.until_time'],
    [{ filter: { actionPrefix: 'a\u0000' } }, 'filter.action_prefix'],
    [{ filter: { actorSubjectId: '\u0000' } }, 'filter.actor_subject_id'],
    [{ filter: { since: new Date(Number.NaN) } }, 'filter.since_time'],
    [{ filter: { since: new Date(Date.UTC(-5000, 0, 1)) } }, 'filter.since_time'],
    [{ filter: { until: new Date(Number.NaN) } }, 'filter.until_time'],
    [{ filter: { until: new Date(Date.UTC(10000, 0, 1)) } }, 'filter.until_time'],
  ])('refuses %j naming %s', async (input, field) => {
    const lister = new AuditEventLister(await logWith(1));
    await expect(
      lister.run(actor, { filter: {}, pageSize: 0, after: undefined, ...input }),
    ).rejects.toMatchObject({ category: 'invalid_argument', metadata: { field } });
  });
});
