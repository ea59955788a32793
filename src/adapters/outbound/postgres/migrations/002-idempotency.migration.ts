import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * The idempotency ledger (`IdempotencyStore`): one row per (tenant, principal, operation, key).
 *
 * Tenant-owned like every other table (see 001): `tenant_id` first in the primary key, ENABLE +
 * FORCE row level security, one policy FOR ALL on `(select core.app_current_tenant())`.
 * The app group role may SELECT, INSERT and UPDATE; it never deletes. Rows are removed only by
 * `core.idempotency_prune(batch_size)`, a SECURITY DEFINER function that deletes a bounded batch
 * of expired rows of every tenant (`FOR UPDATE SKIP LOCKED`, so it never waits on a request).
 *
 * The prune function runs as the owner, which FORCE RLS confines to the tenant policy like
 * anyone else. A second policy, granted TO the owner role only, opens the table to it while
 * `app.idempotency_prune` is 'on', a setting the function turns on for its own body and puts
 * back before returning (an error aborts the transaction anyway). The app role never matches
 * that policy (it is not its role), whatever it sets.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '002-idempotency';

const CURRENT = `(select ${S}.app_current_tenant())`;
const PRUNING = `(select pg_catalog.current_setting('app.idempotency_prune', true)) = 'on'`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create table ${S}.idempotency_keys (
    tenant_id uuid not null,
    principal_id text not null,
    operation text not null,
    idempotency_key text not null,
    fingerprint text not null,
    state text not null,
    lease_token text,
    lease_expires_at timestamptz,
    outcome_code integer,
    outcome_body bytea,
    outcome_message text,
    outcome_details bytea,
    outcome_truncated boolean not null default false,
    -- Lease end while in progress; end of retention once completed.
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint idempotency_keys_pkey
      primary key (tenant_id, principal_id, operation, idempotency_key),
    constraint idempotency_keys_tenant_fkey foreign key (tenant_id) references ${S}.tenants (id),
    constraint idempotency_keys_state_check check (state in ('in_progress', 'completed'))
  );
  -- Cleanup scans by expiry across tenants (the prune function only).
  create index idempotency_keys_expires_at_idx on ${S}.idempotency_keys (expires_at);

  alter table ${S}.idempotency_keys enable row level security;
  alter table ${S}.idempotency_keys force row level security;
  create policy idempotency_keys_tenant_isolation on ${S}.idempotency_keys for all
    using (tenant_id = ${CURRENT})
    with check (tenant_id = ${CURRENT});
  -- Only the owner (the role running this migration, which owns the prune function), and only
  -- inside that function: it turns app.idempotency_prune on for its own body.
  create policy idempotency_keys_owner_prune on ${S}.idempotency_keys for all
    to current_user
    using (${PRUNING})
    with check (false);
  -- No DELETE: rows go only through core.idempotency_prune.
  grant select, insert, update on ${S}.idempotency_keys to ${APP};

  -- Deletes up to batch_size expired rows of every tenant and returns how many it deleted:
  -- completed rows past their retention, in-progress rows whose lease ended over an hour ago
  -- (a released or abandoned key). Locked rows (a request at work) are skipped, not awaited.
  create function ${S}.idempotency_prune(batch_size integer) returns integer
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
    declare
      deleted integer;
      previous text;
    begin
      if batch_size is null or batch_size < 1 then
        return 0;
      end if;
      -- Not a SET clause: on a placeholder setting that needs superuser (or GRANT SET ON
      -- PARAMETER) at CREATE FUNCTION time. Set here and put back before returning.
      previous := pg_catalog.current_setting('app.idempotency_prune', true);
      perform pg_catalog.set_config('app.idempotency_prune', 'on', true);
      with doomed as (
        select k.ctid as row_id
          from ${S}.idempotency_keys k
         where k.expires_at < pg_catalog.now()
           and (k.state = 'completed'
                or k.expires_at < pg_catalog.now() - interval '1 hour')
         -- No ORDER BY: any expired rows will do, and the scan stops at the limit.
         limit batch_size
         for update skip locked
      )
      delete from ${S}.idempotency_keys k
       using doomed
       where k.ctid = doomed.row_id;
      get diagnostics deleted = row_count;
      perform pg_catalog.set_config('app.idempotency_prune', coalesce(previous, ''), true);
      return deleted;
    end
    $fn$;
  revoke all on function ${S}.idempotency_prune(integer) from public;
  grant execute on function ${S}.idempotency_prune(integer) to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.idempotency_prune(integer);
  drop table if exists ${S}.idempotency_keys;
  `);
}
