import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AuditOutcome,
  type AuditEventFilter,
} from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/audit.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf } from '../support/grpc.js';

/** Runs owner SQL on the audit rows with the append-only trigger paused (a tamperer's move). */
async function tamper(t: TestCore, sql: string, bindings: readonly string[]): Promise<void> {
  await t.database.ownerKnex.transaction(async (trx) => {
    await trx.raw('alter table core.audit_events disable trigger audit_events_append_only');
    await trx.raw(sql, bindings);
    await trx.raw('alter table core.audit_events enable trigger audit_events_append_only');
  });
}

describe('AuditService end to end', () => {
  let t: TestCore;
  let token: string;

  beforeAll(async () => {
    t = await startTestCore();
    // Five successful logins and two failed ones: seven events in the platform tenant's chain.
    for (let n = 0; n < 5; n += 1) token = await t.login('platform', ADMIN_EMAIL, ADMIN_PASSWORD);
    for (let n = 0; n < 2; n += 1) {
      await failureOf(t.login('platform', ADMIN_EMAIL, `${ADMIN_PASSWORD}-wrong`));
    }
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  const list = (
    request: {
      filter?: Partial<AuditEventFilter>;
      page?: { pageSize: number; pageToken: string };
    } = {},
  ) =>
    call(
      t.audit,
      'listAuditEvents',
      {
        filter: {
          actorSubjectId: '',
          actionPrefix: '',
          outcome: AuditOutcome.AUDIT_OUTCOME_UNSPECIFIED,
          sinceTime: undefined,
          untilTime: undefined,
          ...request.filter,
        },
        page: request.page,
      },
      bearer(token),
    );

  it('lists the tenant’s events newest first, with sequence, hash and details as a Struct', async () => {
    const { events } = await list();
    expect(events.map((event) => event.sequence)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const newest = events[0]!;
    expect(newest).toMatchObject({
      tenantId: PLATFORM_TENANT_ID,
      action: 'auth.login.failed',
      outcome: AuditOutcome.AUDIT_OUTCOME_FAILURE,
      actor: { kind: 'anonymous', ip: '127.0.0.1' },
    });
    expect(newest.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(newest.details).toMatchObject({ email: ADMIN_EMAIL });
    expect(newest.occurTime).toBeInstanceOf(Date);
  });

  it('filters by action prefix, outcome, actor and time, and pages with a cursor', async () => {
    const succeeded = await list({
      filter: { actionPrefix: 'auth.login.s' },
    });
    expect(succeeded.events).toHaveLength(5);
    const failed = await list({ filter: { outcome: AuditOutcome.AUDIT_OUTCOME_FAILURE } });
    expect(failed.events.map((event) => event.sequence)).toEqual([7, 6]);
    const subject = succeeded.events[0]?.actor?.subjectId ?? '';
    expect(subject).not.toBe('');
    expect((await list({ filter: { actorSubjectId: subject } })).events).toHaveLength(5);
    const future = new Date(Date.now() + 3_600_000);
    expect((await list({ filter: { sinceTime: future } })).events).toEqual([]);
    expect((await list({ filter: { untilTime: future } })).events).toHaveLength(7);

    const seen: number[] = [];
    let pageToken = '';
    do {
      const page = await list({ page: { pageSize: 3, pageToken } });
      seen.push(...page.events.map((event) => event.sequence));
      pageToken = page.page?.nextPageToken ?? '';
    } while (pageToken !== '');
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('refuses bad input with INVALID_ARGUMENT naming the field', async () => {
    const cases: [Parameters<typeof list>[0], string][] = [
      [{ page: { pageSize: 100_000, pageToken: '' } }, 'page.page_size'],
      [{ page: { pageSize: 0, pageToken: 'not-a-token' } }, 'page.page_token'],
      [
        { page: { pageSize: 0, pageToken: Buffer.from('v1:abc').toString('base64url') } },
        'page.page_token',
      ],
      [{ filter: { outcome: AuditOutcome.UNRECOGNIZED } }, 'filter.outcome'],
      [{ filter: { actionPrefix: 'x'.repeat(300) } }, 'filter.action_prefix'],
      [{ filter: { actionPrefix: 'a\u0000' } }, 'filter.action_prefix'],
      [{ filter: { actorSubjectId: '\u0000' } }, 'filter.actor_subject_id'],
      [{ filter: { sinceTime: new Date(Date.UTC(-5000, 0, 1)) } }, 'filter.since_time'],
      [{ filter: { sinceTime: new Date('0000-12-31T23:59:59Z') } }, 'filter.since_time'],
      [{ filter: { untilTime: new Date(Date.UTC(10000, 0, 1)) } }, 'filter.until_time'],
      [
        { filter: { sinceTime: new Date('2030-01-01'), untilTime: new Date('2020-01-01') } },
        'filter.until_time',
      ],
    ];
    for (const [request, field] of cases) {
      const error = await failureOf(list(request));
      expect(error.code, field).toBe(status.INVALID_ARGUMENT);
      expect(error.message).toContain(field);
    }
  });

  it('needs audit:read', async () => {
    const error = await failureOf(call(t.audit, 'verifyAuditChain', {}));
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });

  it('verifies the chain, then reports exactly the row the database owner altered', async () => {
    const before = await call(t.audit, 'verifyAuditChain', {}, bearer(token));
    expect(before).toEqual({ ok: true, checked: 7, firstBadSequence: 0, problem: '' });

    await tamper(
      t,
      `update core.audit_events set details = details || '{"email": "someone@else.test"}'
        where tenant_id = ? and sequence = 3`,
      [PLATFORM_TENANT_ID],
    );
    const altered = await call(t.audit, 'verifyAuditChain', {}, bearer(token));
    expect(altered).toMatchObject({ ok: false, checked: 2, firstBadSequence: 3 });
    expect(altered.problem).toMatch(/hash mismatch/);

    await tamper(t, 'delete from core.audit_events where tenant_id = ? and sequence = 3', [
      PLATFORM_TENANT_ID,
    ]);
    const deleted = await call(t.audit, 'verifyAuditChain', {}, bearer(token));
    expect(deleted).toMatchObject({
      ok: false,
      checked: 2,
      firstBadSequence: 3,
      problem: 'sequence gap: expected 3, found 4',
    });
  });
});

describe('the buffered audit recorder on shutdown', () => {
  it('writes every recorded event before the pool closes when the core stops', async () => {
    const t = await startTestCore();
    try {
      const count = 1_234;
      for (let n = 0; n < count; n += 1) {
        t.core.auditRecorder.record({
          tenantId: PLATFORM_TENANT_ID,
          id: `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
          occurredAt: new Date(),
          actor: { kind: 'service', subjectId: 'svc-1' },
          action: 'authz.check.denied',
          target: { type: 'document', id: String(n) },
          outcome: 'denied',
          details: { permission: 'documents:read' },
        });
      }
      await t.core.stop();
      const rows = await t.database.ownerKnex.raw<{ rows: { n: string; max: string }[] }>(
        `select count(*) as n, max(sequence) as max from core.audit_events
          where tenant_id = ? and action = 'authz.check.denied'`,
        [PLATFORM_TENANT_ID],
      );
      expect(Number(rows.rows[0]?.n)).toBe(count);
    } finally {
      await t.close();
    }
  }, 60_000);
});
