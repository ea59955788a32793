import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * Sessions and their rotating refresh tokens, both tenant-owned like every other table (see
 * 001): `tenant_id` first in every key, foreign keys `(tenant_id, ...)`, ENABLE + FORCE row
 * level security with one policy FOR ALL on `(select core.app_current_tenant())`.
 *
 * Refresh tokens are stored as SHA-256 of their secret only (`token_hash`, unique per tenant).
 * `replaced_by` names the successor a used token was traded for: the grace window for
 * concurrent refreshes looks at it, and reuse of anything older revokes the session.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '005-sessions';

const CURRENT = `(select ${S}.app_current_tenant())`;

const isolate = (table: string): string => `
  alter table ${S}.${table} enable row level security;
  alter table ${S}.${table} force row level security;
  create policy ${table}_tenant_isolation on ${S}.${table} for all
    using (tenant_id = ${CURRENT})
    with check (tenant_id = ${CURRENT});
  grant select, insert, update on ${S}.${table} to ${APP};
`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create table ${S}.sessions (
    tenant_id uuid not null,
    id uuid not null,
    user_id uuid not null,
    user_agent text,
    ip inet,
    created_at timestamptz not null,
    last_used_at timestamptz not null,
    idle_expires_at timestamptz not null,
    absolute_expires_at timestamptz not null,
    revoked_at timestamptz,
    revoked_reason text,
    constraint sessions_pkey primary key (tenant_id, id),
    constraint sessions_user_fkey foreign key (tenant_id, user_id)
      references ${S}.users (tenant_id, id),
    constraint sessions_revoked_check check ((revoked_at is null) = (revoked_reason is null)),
    constraint sessions_user_agent_check check (char_length(user_agent) <= 512)
  );
  create index sessions_user_idx on ${S}.sessions (tenant_id, user_id, id);
  ${isolate('sessions')}

  create table ${S}.refresh_tokens (
    tenant_id uuid not null,
    id uuid not null,
    session_id uuid not null,
    token_hash bytea not null,
    parent_id uuid,
    created_at timestamptz not null,
    used_at timestamptz,
    replaced_by uuid,
    constraint refresh_tokens_pkey primary key (tenant_id, id),
    constraint refresh_tokens_hash_key unique (tenant_id, token_hash),
    constraint refresh_tokens_session_fkey foreign key (tenant_id, session_id)
      references ${S}.sessions (tenant_id, id),
    constraint refresh_tokens_hash_check check (octet_length(token_hash) = 32)
  );
  create index refresh_tokens_session_idx on ${S}.refresh_tokens (tenant_id, session_id);
  ${isolate('refresh_tokens')}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop table if exists ${S}.refresh_tokens;
  drop table if exists ${S}.sessions;
  `);
}
