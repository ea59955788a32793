import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * The audit log (`AuditLog`) and the login throttle's counters.
 *
 * `core.audit_events` is tenant-owned like every other table (see 001): `tenant_id` first in
 * the primary key, ENABLE + FORCE row level security, one policy FOR ALL on
 * `(select core.app_current_tenant())`. It is append-only: the app group role may SELECT and
 * INSERT, never UPDATE or DELETE, and a trigger refuses UPDATE and DELETE for every role (the
 * owner included) as a second line. `prev_hash`/`hash` stay NULL until the tamper-evident hash
 * chain arrives.
 *
 * `core.login_throttle` is the table `rate-limiter-flexible`'s RateLimiterPostgres expects
 * (key, points, expire in epoch ms), created here because the app role has no CREATE. It is
 * not tenant-owned: keys are opaque (a tenant slug and a hash of the email, or an ip) and
 * the library reads them through the pool with no tenant set.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '004-audit-events';

const CURRENT = `(select ${S}.app_current_tenant())`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create table ${S}.audit_events (
    tenant_id uuid not null,
    id uuid not null,
    occurred_at timestamptz not null,
    recorded_at timestamptz not null default now(),
    actor_kind text not null,
    actor_subject_id text,
    actor_ip inet,
    actor_request_id text,
    action text not null,
    target_type text,
    target_id text,
    outcome text not null,
    details jsonb not null default '{}'::jsonb,
    -- The tamper-evident chain (a later migration fills and enforces them).
    prev_hash bytea,
    hash bytea,
    constraint audit_events_pkey primary key (tenant_id, id),
    constraint audit_events_tenant_fkey foreign key (tenant_id) references ${S}.tenants (id),
    constraint audit_events_actor_kind_check
      check (actor_kind in ('user', 'service', 'anonymous')),
    constraint audit_events_outcome_check check (outcome in ('success', 'failure', 'denied')),
    constraint audit_events_target_check check ((target_type is null) = (target_id is null)),
    constraint audit_events_details_check check (jsonb_typeof(details) = 'object')
  );
  create index audit_events_occurred_idx on ${S}.audit_events (tenant_id, occurred_at, id);

  alter table ${S}.audit_events enable row level security;
  alter table ${S}.audit_events force row level security;
  create policy audit_events_tenant_isolation on ${S}.audit_events for all
    using (tenant_id = ${CURRENT})
    with check (tenant_id = ${CURRENT});
  -- Append-only: no UPDATE, no DELETE.
  grant select, insert on ${S}.audit_events to ${APP};

  create function ${S}.audit_events_append_only() returns trigger
    language plpgsql
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
      raise exception 'audit events are append-only'
        using errcode = 'insufficient_privilege';
    end
    $fn$;
  revoke all on function ${S}.audit_events_append_only() from public;
  create trigger audit_events_append_only before update or delete on ${S}.audit_events
    for each row execute function ${S}.audit_events_append_only();

  create table ${S}.login_throttle (
    key varchar(255) primary key,
    points integer not null default 0,
    expire bigint
  );
  create index login_throttle_expire_idx on ${S}.login_throttle (expire);
  grant select, insert, update, delete on ${S}.login_throttle to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop table if exists ${S}.login_throttle;
  drop table if exists ${S}.audit_events;
  drop function if exists ${S}.audit_events_append_only();
  `);
}
