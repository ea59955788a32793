import type { Knex } from 'knex';

import { AUDIT_CHAIN_CONFLICT } from '../../shared/buffered-audit-recorder.js';
import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * The database, not the app, keeps each tenant's audit chain head (review finding: with
 * `update (last_sequence, last_hash)` the app role could move its head back, hiding later
 * events from VerifyAuditChain, or insert a row past the head that no verification saw and
 * that blocked every later append).
 *
 * - `audit_events_chain_guard`, a BEFORE INSERT trigger on `core.audit_events` (SECURITY
 *   DEFINER, owned by the owner, pinned search_path): the row must belong to the tenant set
 *   for the transaction; it locks the tenant's head (creating it on the first event), requires
 *   `sequence = last_sequence + 1` and `prev_hash = last_hash`, and moves the head to the new
 *   row. Anything else raises SQLSTATE `WMA01` (AUDIT_CHAIN_CONFLICT): no row can exist past
 *   the head, no gap or fork can be inserted. The app still computes each hash (it covers the
 *   sequence) under the lock; a forged hash is stored but breaks verification there.
 * - `lock_audit_chain_head(tenant)` (SECURITY DEFINER, EXECUTE for the app group): creates the
 *   head if missing, locks it FOR UPDATE and returns it, for the current tenant only. The app
 *   calls it before linking its events (so it computes against the head the trigger checks).
 * - The app role loses INSERT and UPDATE on `core.audit_chain_heads`: it only reads heads.
 *   RLS stays enabled and forced on both tables.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '011-audit-chain-guard';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create function ${S}.lock_audit_chain_head(p_tenant_id uuid)
    returns table (last_sequence bigint, last_hash bytea)
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
    #variable_conflict use_column
    begin
      if p_tenant_id is null or p_tenant_id is distinct from ${S}.app_current_tenant() then
        raise exception 'audit chain: only the current tenant''s head can be locked'
          using errcode = 'insufficient_privilege';
      end if;
      insert into ${S}.audit_chain_heads as h (tenant_id) values (p_tenant_id)
        on conflict (tenant_id) do nothing;
      return query
        select h.last_sequence, h.last_hash from ${S}.audit_chain_heads h
         where h.tenant_id = p_tenant_id
           for update;
    end
    $fn$;
  revoke all on function ${S}.lock_audit_chain_head(uuid) from public;
  grant execute on function ${S}.lock_audit_chain_head(uuid) to ${APP};

  create function ${S}.audit_events_chain_guard() returns trigger
    language plpgsql security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
    declare
      v_sequence bigint;
      v_hash bytea;
    begin
      if new.tenant_id is distinct from ${S}.app_current_tenant() then
        raise exception 'new row violates row-level security policy for table "audit_events"'
          using errcode = 'insufficient_privilege';
      end if;
      insert into ${S}.audit_chain_heads as h (tenant_id) values (new.tenant_id)
        on conflict (tenant_id) do nothing;
      select h.last_sequence, h.last_hash into v_sequence, v_hash
        from ${S}.audit_chain_heads h
       where h.tenant_id = new.tenant_id
         for update;
      if new.sequence is distinct from v_sequence + 1 or new.prev_hash is distinct from v_hash then
        raise exception 'audit chain: the event does not continue its tenant''s chain'
          using errcode = '${AUDIT_CHAIN_CONFLICT}',
                detail = pg_catalog.format('expected sequence %s chained from the head, got %s',
                                           v_sequence + 1, new.sequence);
      end if;
      update ${S}.audit_chain_heads h
         set last_sequence = new.sequence, last_hash = new.hash
       where h.tenant_id = new.tenant_id;
      return new;
    end
    $fn$;
  revoke all on function ${S}.audit_events_chain_guard() from public;
  create trigger audit_events_chain_guard before insert on ${S}.audit_events
    for each row execute function ${S}.audit_events_chain_guard();

  revoke insert, update on ${S}.audit_chain_heads from ${APP};
  revoke insert (tenant_id) on ${S}.audit_chain_heads from ${APP};
  revoke update (last_sequence, last_hash) on ${S}.audit_chain_heads from ${APP};
  alter table ${S}.audit_chain_heads force row level security;
  alter table ${S}.audit_events force row level security;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop trigger if exists audit_events_chain_guard on ${S}.audit_events;
  drop function if exists ${S}.audit_events_chain_guard();
  drop function if exists ${S}.lock_audit_chain_head(uuid);
  grant insert (tenant_id) on ${S}.audit_chain_heads to ${APP};
  grant update (last_sequence, last_hash) on ${S}.audit_chain_heads to ${APP};
  `);
}
