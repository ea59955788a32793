import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * Account recovery: verified emails, one-time tokens and the mail outbox.
 *
 * `core.user_tokens` (password reset and email verification tokens, stored as SHA-256 hashes
 * of their secrets) and `core.outbox_messages` (mail written in the transaction that decided to
 * send it, delivered later by the dispatcher) are tenant-owned like every table of 001:
 * `tenant_id` first in every key, ENABLE + FORCE row level security, one isolation policy.
 *
 * The dispatcher claims due messages of every tenant through one SECURITY DEFINER function
 * (`claim_outbox_messages`, pinned search_path, EXECUTE for the app group only) with
 * `FOR UPDATE SKIP LOCKED`, so replicas never claim the same message. A second policy on
 * `outbox_messages` lets only the owning role (the one running these migrations, hence the
 * function) see every tenant's messages; the app role stays confined to its tenant. It marks
 * each message sent (or failed) afterwards in that message's tenant, through the isolation
 * policy.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '006-recovery';

const CURRENT = `(select ${S}.app_current_tenant())`;

const isolate = (table: string): string => `
  alter table ${S}.${table} enable row level security;
  alter table ${S}.${table} force row level security;
  create policy ${table}_tenant_isolation on ${S}.${table} for all
    using (tenant_id = ${CURRENT})
    with check (tenant_id = ${CURRENT});
  grant select, insert, update, delete on ${S}.${table} to ${APP};
`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  alter table ${S}.users add column email_verified boolean not null default false;
  alter table ${S}.users add column email_verified_at timestamptz;

  create table ${S}.user_tokens (
    tenant_id uuid not null,
    id uuid not null,
    user_id uuid not null,
    purpose text not null,
    token_hash bytea not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    constraint user_tokens_pkey primary key (tenant_id, id),
    constraint user_tokens_tenant_hash_key unique (tenant_id, token_hash),
    constraint user_tokens_user_fkey foreign key (tenant_id, user_id)
      references ${S}.users (tenant_id, id) on delete cascade,
    constraint user_tokens_purpose_check
      check (purpose in ('password_reset', 'email_verification')),
    constraint user_tokens_hash_check check (length(token_hash) = 32)
  );
  create index user_tokens_user_idx on ${S}.user_tokens (tenant_id, user_id, purpose);
  ${isolate('user_tokens')}

  create table ${S}.outbox_messages (
    tenant_id uuid not null,
    id uuid not null,
    kind text not null,
    recipient text not null,
    subject text not null,
    body_text text not null,
    created_at timestamptz not null default now(),
    -- Due time: creation, then the end of a claim's lease or of a retry's back-off.
    next_attempt_at timestamptz not null default now(),
    sent_at timestamptz,
    attempts integer not null default 0,
    last_error text,
    constraint outbox_messages_pkey primary key (tenant_id, id),
    constraint outbox_messages_tenant_fkey foreign key (tenant_id) references ${S}.tenants (id)
  );
  create index outbox_messages_due_idx on ${S}.outbox_messages (next_attempt_at)
    where sent_at is null;
  ${isolate('outbox_messages')}

  -- Only the owning role (the claim function's definer) sees every tenant's messages.
  do $$
  begin
    execute pg_catalog.format(
      'create policy outbox_messages_dispatch on ${S}.outbox_messages for all to %I using (true) with check (true)',
      current_user);
  end
  $$;

  create function ${S}.claim_outbox_messages(p_limit integer, p_lease_seconds integer, p_max_attempts integer)
    returns table (tenant_id uuid, id uuid, kind text, recipient text, subject text,
                   body_text text, attempts integer)
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
    #variable_conflict use_column
    begin
      return query
      with due as (
        select m.tenant_id, m.id from ${S}.outbox_messages m
        where m.sent_at is null and m.next_attempt_at <= pg_catalog.now()
          and m.attempts < p_max_attempts
        order by m.next_attempt_at
        limit p_limit
        for update skip locked
      )
      update ${S}.outbox_messages m
        set attempts = m.attempts + 1,
            next_attempt_at = pg_catalog.now() + pg_catalog.make_interval(secs => p_lease_seconds)
        from due
        where m.tenant_id = due.tenant_id and m.id = due.id
        returning m.tenant_id, m.id, m.kind, m.recipient, m.subject, m.body_text, m.attempts;
    end
    $fn$;
  revoke all on function ${S}.claim_outbox_messages(integer, integer, integer) from public;
  grant execute on function ${S}.claim_outbox_messages(integer, integer, integer) to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.claim_outbox_messages(integer, integer, integer);
  drop table if exists ${S}.outbox_messages;
  drop table if exists ${S}.user_tokens;
  alter table ${S}.users drop column if exists email_verified_at;
  alter table ${S}.users drop column if exists email_verified;
  `);
}
