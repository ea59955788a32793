import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * Service accounts, and delayed activation of signing keys.
 *
 * `core.service_accounts` is tenant-owned like every other table (see 001): `tenant_id` first
 * in the primary key and every unique, ENABLE + FORCE row level security, one policy FOR ALL.
 * Names are unique per tenant among live accounts. Client ids embed their tenant id
 * (`sa_<tenant hex>_<random>`), so a public token request finds the tenant without any
 * cross-tenant lookup; the unique key is `(tenant_id, client_id)`, and since every client id
 * carries its tenant, that makes client ids globally unique too, without a unique check that
 * would compare values across tenants. Role bindings reuse `core.role_bindings`
 * (subject_id = the service account id).
 *
 * `core.signing_keys.activate_after`: a new key is published (JWKS) at once but signs only from
 * this instant, so caches of the JWKS everywhere have picked it up before any token names it.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '007-service-accounts';

const CURRENT = `(select ${S}.app_current_tenant())`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create table ${S}.service_accounts (
    tenant_id uuid not null,
    id uuid not null,
    name text not null,
    description text not null default '',
    client_id text collate "C" not null,
    secret_hash text not null,
    previous_secret_hash text,
    previous_secret_expires_at timestamptz,
    created_at timestamptz not null,
    deleted_at timestamptz,
    constraint service_accounts_pkey primary key (tenant_id, id),
    constraint service_accounts_tenant_fkey foreign key (tenant_id) references ${S}.tenants (id),
    constraint service_accounts_client_id_key unique (tenant_id, client_id),
    constraint service_accounts_name_check check (char_length(name) between 1 and 100),
    constraint service_accounts_previous_check
      check ((previous_secret_hash is null) = (previous_secret_expires_at is null))
  );
  create unique index service_accounts_live_name_key on ${S}.service_accounts (tenant_id, name)
    where deleted_at is null;

  alter table ${S}.service_accounts enable row level security;
  alter table ${S}.service_accounts force row level security;
  create policy service_accounts_tenant_isolation on ${S}.service_accounts for all
    using (tenant_id = ${CURRENT})
    with check (tenant_id = ${CURRENT});
  grant select, insert, update, delete on ${S}.service_accounts to ${APP};

  alter table ${S}.signing_keys add column activate_after timestamptz;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  alter table ${S}.signing_keys drop column if exists activate_after;
  drop table if exists ${S}.service_accounts;
  `);
}
