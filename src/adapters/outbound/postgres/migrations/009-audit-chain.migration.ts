import type { Knex } from 'knex';

import { GENESIS_HASH, linkEvents, type ChainLink } from '../../../../domain/audit/audit-chain.js';
import { sha256Hex } from '../../shared/sha256.js';
import { type AuditRow, eventOfRow } from '../pg-audit-log.js';
import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * The audit log's tamper-evident hash chain (see `domain/audit/audit-chain.ts`).
 *
 * - `core.audit_events` gains `sequence` (1, 2, 3... per tenant, unique with the tenant) and
 *   its `prev_hash`/`hash` become mandatory. Existing rows are chained here, per tenant in
 *   (occurred_at, recorded_at, id) order, with the same TypeScript function the service uses.
 * - `core.audit_chain_heads`, one row per tenant (tenant-owned: tenant_id as primary key, RLS
 *   enabled and forced): the last sequence and hash, which every append locks and moves, and
 *   the anchor (the last pruned event; genesis until the owner prunes), where verification
 *   starts. The app role may create its tenant's head and move `last_*`, never the anchor
 *   (column privileges): only the owner's export-then-prune path moves it.
 * - The append-only trigger still refuses every UPDATE and DELETE, except DELETE of events at
 *   or below their tenant's anchor: already exported and cut off the chain. The app role has
 *   no DELETE privilege at all; this is what lets the owner prune without disabling the guard.
 */
// No `?` anywhere in this SQL (knex.raw reads it as a binding placeholder), and no `::` cast
// right after a named binding (knex would read `:name:` as an identifier).
export const name = '009-audit-chain';

const CURRENT = `(select ${S}.app_current_tenant())`;
const GENESIS = `'\\x${GENESIS_HASH}'::bytea`;
const BATCH = 1000;

/**
 * Chains every existing event: numbers them per tenant in (occurred_at, recorded_at, id) order
 * in SQL, then hashes them tenant by tenant, page by page in that order (bounded memory).
 */
async function backfill(knex: Knex): Promise<void> {
  await knex.raw(`
  update ${S}.audit_events e set sequence = numbered.sequence
    from (select tenant_id, id,
                 row_number() over (partition by tenant_id order by occurred_at, recorded_at, id) as sequence
            from ${S}.audit_events) as numbered
   where e.tenant_id = numbered.tenant_id and e.id = numbered.id
  `);
  const tenants = await knex.raw<{ rows: { tenant_id: string }[] }>(
    `select distinct tenant_id from ${S}.audit_events`,
  );
  for (const { tenant_id: tenantId } of tenants.rows) {
    let head: ChainLink = { sequence: 0, hash: GENESIS_HASH };
    for (;;) {
      const page = await knex.raw<{ rows: AuditRow[] }>(
        `select * from ${S}.audit_events where tenant_id = :tenantId and sequence > :after
          order by sequence limit ${String(BATCH)}`,
        { tenantId, after: head.sequence },
      );
      if (page.rows.length === 0) break;
      const linked = linkEvents(sha256Hex, head, page.rows.map(eventOfRow));
      await knex.raw(
        `update ${S}.audit_events e
            set prev_hash = decode(x.prev_hash, 'hex'), hash = decode(x.hash, 'hex')
           from jsonb_to_recordset(cast(:rows as jsonb)) as x(id uuid, prev_hash text, hash text)
          where e.tenant_id = :tenantId and e.id = x.id`,
        {
          tenantId,
          rows: JSON.stringify(
            linked.map(({ id, prevHash, hash }) => ({ id, prev_hash: prevHash, hash })),
          ),
        },
      );
      const last = linked.at(-1);
      if (last !== undefined) head = { sequence: last.sequence, hash: last.hash };
      if (page.rows.length < BATCH) break;
    }
    await knex.raw(
      `insert into ${S}.audit_chain_heads (tenant_id, last_sequence, last_hash)
       values (:tenantId, :sequence, decode(:hash, 'hex'))`,
      { tenantId, sequence: head.sequence, hash: head.hash },
    );
  }
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create table ${S}.audit_chain_heads (
    tenant_id uuid not null,
    last_sequence bigint not null default 0,
    last_hash bytea not null default ${GENESIS},
    anchor_sequence bigint not null default 0,
    anchor_hash bytea not null default ${GENESIS},
    anchored_at timestamptz,
    constraint audit_chain_heads_pkey primary key (tenant_id),
    constraint audit_chain_heads_tenant_fkey foreign key (tenant_id) references ${S}.tenants (id),
    constraint audit_chain_heads_order_check check (0 <= anchor_sequence and anchor_sequence <= last_sequence),
    constraint audit_chain_heads_hash_check
      check (octet_length(last_hash) = 32 and octet_length(anchor_hash) = 32)
  );
  alter table ${S}.audit_chain_heads enable row level security;
  create policy audit_chain_heads_tenant_isolation on ${S}.audit_chain_heads for all
    using (tenant_id = ${CURRENT})
    with check (tenant_id = ${CURRENT});
  grant select on ${S}.audit_chain_heads to ${APP};
  grant insert (tenant_id) on ${S}.audit_chain_heads to ${APP};
  grant update (last_sequence, last_hash) on ${S}.audit_chain_heads to ${APP};

  alter table ${S}.audit_events add column sequence bigint;
  -- The owner reads and rewrites every tenant's rows once, below: not forced for this
  -- transaction (forced again before it commits), and the append-only trigger paused.
  alter table ${S}.audit_events no force row level security;
  alter table ${S}.audit_events disable trigger audit_events_append_only;
  `);
  await backfill(knex);
  await knex.raw(`
  alter table ${S}.audit_events enable trigger audit_events_append_only;
  alter table ${S}.audit_events force row level security;
  alter table ${S}.audit_chain_heads force row level security;

  alter table ${S}.audit_events
    alter column sequence set not null,
    alter column prev_hash set not null,
    alter column hash set not null,
    add constraint audit_events_tenant_sequence_key unique (tenant_id, sequence),
    add constraint audit_events_sequence_check check (sequence > 0),
    add constraint audit_events_hash_check
      check (octet_length(hash) = 32 and octet_length(prev_hash) = 32);

  create or replace function ${S}.audit_events_append_only() returns trigger
    language plpgsql
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
      if tg_op = 'DELETE' and exists (
        select 1 from ${S}.audit_chain_heads h
         where h.tenant_id = old.tenant_id and old.sequence <= h.anchor_sequence
      ) then
        return old;
      end if;
      raise exception 'audit events are append-only'
        using errcode = 'insufficient_privilege';
    end
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  create or replace function ${S}.audit_events_append_only() returns trigger
    language plpgsql
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
      raise exception 'audit events are append-only'
        using errcode = 'insufficient_privilege';
    end
    $fn$;
  alter table ${S}.audit_events
    drop constraint if exists audit_events_hash_check,
    drop constraint if exists audit_events_sequence_check,
    drop constraint if exists audit_events_tenant_sequence_key,
    alter column hash drop not null,
    alter column prev_hash drop not null,
    drop column if exists sequence;
  drop table if exists ${S}.audit_chain_heads;
  `);
}
