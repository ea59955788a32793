import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * Custom roles with inheritance, scoped and expiring bindings, and a per-tenant policy version.
 *
 * - `core.roles.updated_at` (existing rows: their creation time).
 * - `core.role_inherits` (tenant_id, role_id, inherited_role_id, position): which roles a role
 *   inherits, in the order given. Both ends are foreign keys on `(tenant_id, id)` of
 *   `core.roles`, so a link can only name a role of the same tenant, and deleting a role
 *   removes its links (the use case refuses that unless forced).
 * - `core.role_bindings` gets `subject_kind` ('user' | 'service'; existing rows: 'service' when
 *   the subject is a service account of the tenant, else 'user'), `resource` (`type/id`, NULL =
 *   the whole tenant) and `expires_at` (NULL = never). One binding per (tenant, subject, role,
 *   resource); the unique index also serves the (tenant_id, subject_id) lookup.
 * - `core.tenant_policy_versions` (tenant_id, version): bumped in the transaction of every
 *   change to the tenant's roles, inherits links or bindings, by statement-level triggers on
 *   those three tables (for the tenant the transaction is set to, which row-level security
 *   makes the only tenant it can write), whoever writes them. Caches of compiled policies are
 *   keyed by it. The use cases also bump it first thing, which locks the row: changes to one
 *   tenant's policy are serialized (cycle and last-owner checks see committed state).
 *
 * New tables follow 001's isolation rules: `tenant_id` first in every key, ENABLE + FORCE row
 * level security, one policy FOR ALL, privileges to the group role only.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '008-authorization';

const CURRENT = `(select ${S}.app_current_tenant())`;

const isolate = (table: string): string => `
  alter table ${S}.${table} enable row level security;
  alter table ${S}.${table} force row level security;
  create policy ${table}_tenant_isolation on ${S}.${table} for all
    using (tenant_id = ${CURRENT})
    with check (tenant_id = ${CURRENT});
  grant select, insert, update, delete on ${S}.${table} to ${APP};
`;

/** Existing rows are rewritten by the owner: FORCE off for the statement's duration only. */
const asOwner = (tables: readonly string[], sql: string): string => `
  ${tables.map((table) => `alter table ${S}.${table} no force row level security;`).join('\n')}
  ${sql}
  ${tables.map((table) => `alter table ${S}.${table} force row level security;`).join('\n')}
`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  alter table ${S}.roles add column updated_at timestamptz;
  ${asOwner(['roles'], `update ${S}.roles set updated_at = created_at;`)}
  alter table ${S}.roles alter column updated_at set not null;
  alter table ${S}.roles alter column updated_at set default now();

  create table ${S}.role_inherits (
    tenant_id uuid not null,
    role_id uuid not null,
    inherited_role_id uuid not null,
    position integer not null,
    constraint role_inherits_pkey primary key (tenant_id, role_id, inherited_role_id),
    constraint role_inherits_role_fkey foreign key (tenant_id, role_id)
      references ${S}.roles (tenant_id, id) on delete cascade,
    constraint role_inherits_inherited_fkey foreign key (tenant_id, inherited_role_id)
      references ${S}.roles (tenant_id, id) on delete cascade,
    constraint role_inherits_not_self_check check (role_id <> inherited_role_id)
  );
  create index role_inherits_inherited_idx on ${S}.role_inherits (tenant_id, inherited_role_id);
  ${isolate('role_inherits')}

  alter table ${S}.role_bindings add column subject_kind text;
  alter table ${S}.role_bindings add column resource text;
  alter table ${S}.role_bindings add column expires_at timestamptz;
  ${asOwner(
    ['role_bindings', 'service_accounts'],
    `update ${S}.role_bindings b
        set subject_kind = case when exists (
          select 1 from ${S}.service_accounts s
           where s.tenant_id = b.tenant_id and s.id = b.subject_id
        ) then 'service' else 'user' end;`,
  )}
  alter table ${S}.role_bindings alter column subject_kind set not null;
  alter table ${S}.role_bindings add constraint role_bindings_subject_kind_check
    check (subject_kind in ('user', 'service'));
  alter table ${S}.role_bindings add constraint role_bindings_resource_check
    check (resource is null or char_length(resource) between 1 and 1024);
  alter table ${S}.role_bindings drop constraint role_bindings_subject_role_key;
  create unique index role_bindings_subject_role_resource_key
    on ${S}.role_bindings (tenant_id, subject_id, role_id, coalesce(resource, ''));

  create table ${S}.tenant_policy_versions (
    tenant_id uuid not null,
    version bigint not null,
    updated_at timestamptz not null default now(),
    constraint tenant_policy_versions_pkey primary key (tenant_id),
    constraint tenant_policy_versions_tenant_fkey foreign key (tenant_id)
      references ${S}.tenants (id),
    constraint tenant_policy_versions_version_check check (version > 0)
  );
  ${isolate('tenant_policy_versions')}

  -- Invoker rights: it writes through the caller's row-level security, for the caller's tenant.
  create function ${S}.bump_tenant_policy_version() returns trigger
    language plpgsql
    set search_path = pg_catalog, pg_temp
    as $fn$
    declare
      tenant uuid := ${S}.app_current_tenant();
    begin
      if tenant is not null then
        insert into ${S}.tenant_policy_versions as v (tenant_id, version)
          values (tenant, 1)
          on conflict (tenant_id) do update set version = v.version + 1, updated_at = now();
      end if;
      return null;
    end
    $fn$;
  revoke all on function ${S}.bump_tenant_policy_version() from public;
  grant execute on function ${S}.bump_tenant_policy_version() to ${APP};
  create trigger roles_bump_policy_version after insert or update or delete on ${S}.roles
    for each statement execute function ${S}.bump_tenant_policy_version();
  create trigger role_inherits_bump_policy_version after insert or update or delete on ${S}.role_inherits
    for each statement execute function ${S}.bump_tenant_policy_version();
  create trigger role_bindings_bump_policy_version after insert or update or delete on ${S}.role_bindings
    for each statement execute function ${S}.bump_tenant_policy_version();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop trigger if exists role_bindings_bump_policy_version on ${S}.role_bindings;
  drop trigger if exists roles_bump_policy_version on ${S}.roles;
  drop table if exists ${S}.role_inherits;
  drop table if exists ${S}.tenant_policy_versions;
  drop function if exists ${S}.bump_tenant_policy_version();
  drop index if exists ${S}.role_bindings_subject_role_resource_key;
  ${asOwner(
    ['role_bindings'],
    `delete from ${S}.role_bindings a using ${S}.role_bindings b
      where a.tenant_id = b.tenant_id and a.subject_id = b.subject_id and a.role_id = b.role_id
        and a.id > b.id;`,
  )}
  alter table ${S}.role_bindings add constraint role_bindings_subject_role_key
    unique (tenant_id, subject_id, role_id);
  alter table ${S}.role_bindings drop constraint if exists role_bindings_resource_check;
  alter table ${S}.role_bindings drop constraint if exists role_bindings_subject_kind_check;
  alter table ${S}.role_bindings drop column if exists expires_at;
  alter table ${S}.role_bindings drop column if exists resource;
  alter table ${S}.role_bindings drop column if exists subject_kind;
  alter table ${S}.roles drop column if exists updated_at;
  `);
}
