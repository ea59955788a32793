import type { Knex } from 'knex';

import {
  PLATFORM_TENANT_ID,
  PLATFORM_TENANT_SLUG,
} from '../../../../domain/shared/platform-tenant.js';
import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * Tenancy, identity and authorization tables with row-level security.
 *
 * Isolation rules applied to every tenant-owned table (see docs ARCHITECTURE "Tenant isolation"):
 * - `tenant_id uuid not null`, first in the primary key and in every unique and foreign key,
 *   so key checks (which bypass RLS) never compare values across tenants;
 * - ENABLE + FORCE row level security, one policy FOR ALL with USING and WITH CHECK on
 *   `tenant_id = (select core.app_current_tenant())` (an empty setting reads as NULL: no rows);
 * - privileges go to the NOLOGIN group role, never to PUBLIC.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '001-initial-schema';

const CURRENT = `(select ${S}.app_current_tenant())`;

/** The tenant-owned isolation policy, identical on every tenant-owned table. */
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
  create schema if not exists ${S};
  revoke all on schema ${S} from public;

  -- The group role may already exist (roles are cluster-wide; other databases, parallel tests).
  do $$
  begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = '${APP}') then
      create role ${APP} nologin nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
  exception when duplicate_object or unique_violation then
    null;
  end
  $$;
  grant usage on schema ${S} to ${APP};

  -- The tenant of the current transaction, NULL when unset or reset to '' (fails closed).
  create function ${S}.app_current_tenant() returns uuid
    language sql stable
    as $fn$ select nullif(pg_catalog.current_setting('app.tenant_id', true), '')::uuid $fn$;
  revoke all on function ${S}.app_current_tenant() from public;
  grant execute on function ${S}.app_current_tenant() to ${APP};

  create table ${S}.tenants (
    id uuid not null,
    slug text collate "C" not null,
    display_name text not null,
    plan text not null,
    status text not null,
    self_sign_up_enabled boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint tenants_pkey primary key (id),
    constraint tenants_slug_key unique (slug),
    constraint tenants_status_check check (status in ('active', 'suspended', 'past_due')),
    constraint tenants_slug_check check (slug ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9]){0,1}$' and length(slug) <= 63)
  );
  insert into ${S}.tenants (id, slug, display_name, plan, status)
    values ('${PLATFORM_TENANT_ID}', '${PLATFORM_TENANT_SLUG}', 'Platform', 'platform', 'active');
  -- A tenant sees itself; the platform tenant sees (and administers) every tenant.
  alter table ${S}.tenants enable row level security;
  alter table ${S}.tenants force row level security;
  create policy tenants_self_or_platform on ${S}.tenants for all
    using (id = ${CURRENT} or ${CURRENT} = '${PLATFORM_TENANT_ID}'::uuid)
    with check (id = ${CURRENT} or ${CURRENT} = '${PLATFORM_TENANT_ID}'::uuid);
  -- No DELETE: removing a tenant is an offboarding procedure, not a repository call.
  grant select, insert, update on ${S}.tenants to ${APP};

  create table ${S}.users (
    tenant_id uuid not null,
    id uuid not null,
    email text not null,
    email_normalized text collate "C" not null,
    display_name text not null,
    password_hash text not null,
    status text not null,
    created_at timestamptz not null default now(),
    last_login_at timestamptz,
    constraint users_pkey primary key (tenant_id, id),
    constraint users_tenant_email_key unique (tenant_id, email_normalized),
    constraint users_tenant_fkey foreign key (tenant_id) references ${S}.tenants (id),
    constraint users_status_check check (status in ('active', 'disabled'))
  );
  ${isolate('users')}

  create table ${S}.roles (
    tenant_id uuid not null,
    id uuid not null,
    name text collate "C" not null,
    description text not null default '',
    permissions text[] not null default '{}',
    system boolean not null default false,
    created_at timestamptz not null default now(),
    constraint roles_pkey primary key (tenant_id, id),
    constraint roles_tenant_name_key unique (tenant_id, name),
    constraint roles_tenant_fkey foreign key (tenant_id) references ${S}.tenants (id)
  );
  ${isolate('roles')}

  create table ${S}.role_bindings (
    tenant_id uuid not null,
    id uuid not null,
    subject_id uuid not null,
    role_id uuid not null,
    created_at timestamptz not null default now(),
    constraint role_bindings_pkey primary key (tenant_id, id),
    -- Also the (tenant_id, subject_id) lookup index; binding a role twice is a no-op.
    constraint role_bindings_subject_role_key unique (tenant_id, subject_id, role_id),
    constraint role_bindings_role_fkey foreign key (tenant_id, role_id)
      references ${S}.roles (tenant_id, id) on delete cascade
  );
  create index role_bindings_role_idx on ${S}.role_bindings (tenant_id, role_id);
  ${isolate('role_bindings')}

  -- Platform-wide: keys sign tokens of every tenant. Not tenant-owned, no RLS, no DELETE.
  create table ${S}.signing_keys (
    kid text not null,
    algorithm text not null,
    public_jwk jsonb not null,
    sealed_private_jwk bytea not null,
    created_at timestamptz not null,
    retired_at timestamptz,
    constraint signing_keys_pkey primary key (kid),
    constraint signing_keys_algorithm_check check (algorithm in ('EdDSA'))
  );
  grant select, insert, update on ${S}.signing_keys to ${APP};

  -- TenantDirectory: the one cross-tenant read path for tenant references. SECURITY DEFINER
  -- with a pinned search_path; the body switches to the platform tenant for its one query and
  -- puts the caller's value back before returning (an error aborts the transaction anyway), so
  -- it works whether or not the owner bypasses RLS, and the caller learns (id, slug, status) of
  -- one tenant and nothing else. Not a SET clause: on a placeholder setting that needs
  -- superuser (or GRANT SET ON PARAMETER) at CREATE FUNCTION time on PostgreSQL 15+.
  create function ${S}.tenant_ref_by_slug(p_slug text)
    returns table (id uuid, slug text, status text)
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
    #variable_conflict use_column
    declare
      previous text;
    begin
      previous := pg_catalog.current_setting('app.tenant_id', true);
      perform pg_catalog.set_config('app.tenant_id', '${PLATFORM_TENANT_ID}', true);
      return query select t.id, t.slug, t.status from ${S}.tenants t where t.slug = p_slug;
      perform pg_catalog.set_config('app.tenant_id', coalesce(previous, ''), true);
      return;
    end
    $fn$;
  create function ${S}.tenant_ref_by_id(p_id uuid)
    returns table (id uuid, slug text, status text)
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
    #variable_conflict use_column
    declare
      previous text;
    begin
      previous := pg_catalog.current_setting('app.tenant_id', true);
      perform pg_catalog.set_config('app.tenant_id', '${PLATFORM_TENANT_ID}', true);
      return query select t.id, t.slug, t.status from ${S}.tenants t where t.id = p_id;
      perform pg_catalog.set_config('app.tenant_id', coalesce(previous, ''), true);
      return;
    end
    $fn$;
  revoke all on function ${S}.tenant_ref_by_slug(text) from public;
  revoke all on function ${S}.tenant_ref_by_id(uuid) from public;
  grant execute on function ${S}.tenant_ref_by_slug(text) to ${APP};
  grant execute on function ${S}.tenant_ref_by_id(uuid) to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.tenant_ref_by_id(uuid);
  drop function if exists ${S}.tenant_ref_by_slug(text);
  drop table if exists ${S}.signing_keys;
  drop table if exists ${S}.role_bindings;
  drop table if exists ${S}.roles;
  drop table if exists ${S}.users;
  drop table if exists ${S}.tenants;
  drop function if exists ${S}.app_current_tenant();
  `);
}
