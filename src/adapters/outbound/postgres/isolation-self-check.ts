import type { Knex } from 'knex';

import { SCHEMA } from './pg-schema.js';

const SYSTEM_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;

/**
 * Start-up self-check, run through the service's own connection: the service refuses to start
 * unless Postgres itself enforces tenant isolation for it. Throws an Error naming every
 * offending role or table:
 * - the current role is not superuser and does not bypass RLS;
 * - it owns no relation (nor has the privileges of a role that does), since owners may ALTER
 *   away the policies;
 * - every table with a `tenant_id` column, and `core.tenants`, has RLS enabled AND forced AND
 *   at least one policy;
 * - every view with a `tenant_id` column runs with `security_invoker`.
 */
export async function assertIsolationHolds(appKnex: Knex): Promise<void> {
  const problems: string[] = [];

  const role = await appKnex.raw<{
    rows: { rolname: string; rolsuper: boolean; rolbypassrls: boolean }[];
  }>(
    'select rolname, rolsuper, rolbypassrls from pg_catalog.pg_roles where rolname = current_user',
  );
  const me = role.rows[0];
  if (me === undefined) throw new Error('isolation self-check: cannot read the current role');
  if (me.rolsuper)
    problems.push(`role "${me.rolname}" is a superuser (bypasses row level security)`);
  if (me.rolbypassrls) problems.push(`role "${me.rolname}" has BYPASSRLS`);

  const owned = await appKnex.raw<{ rows: { name: string }[] }>(
    `select n.nspname || '.' || c.relname as name
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'f') and ${SYSTEM_SCHEMAS}
        and pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
      order by 1`,
  );
  for (const { name } of owned.rows) {
    problems.push(`role "${me.rolname}" owns (or acts as the owner of) ${name}`);
  }

  const tables = await appKnex.raw<{
    rows: {
      name: string;
      kind: string;
      rls: boolean;
      forced: boolean;
      policies: number;
      invoker: boolean;
    }[];
  }>(
    `select n.nspname || '.' || c.relname as name, c.relkind as kind,
            c.relrowsecurity as rls, c.relforcerowsecurity as forced,
            (select count(*)::int from pg_catalog.pg_policy p where p.polrelid = c.oid) as policies,
            coalesce(c.reloptions::text[] && array['security_invoker=true', 'security_invoker=on'], false) as invoker
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v') and ${SYSTEM_SCHEMAS}
        and (exists (select 1 from pg_catalog.pg_attribute a
                      where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum > 0 and not a.attisdropped)
             or (n.nspname = ? and c.relname = 'tenants'))
      order by 1`,
    [SCHEMA],
  );
  let sawTenants = false;
  for (const table of tables.rows) {
    if (table.name === `${SCHEMA}.tenants`) sawTenants = true;
    if (table.kind === 'v') {
      if (!table.invoker) problems.push(`view ${table.name} is not security_invoker`);
      continue;
    }
    if (!table.rls) problems.push(`table ${table.name} does not enable row level security`);
    if (!table.forced) problems.push(`table ${table.name} does not force row level security`);
    if (table.policies === 0) problems.push(`table ${table.name} has no row level security policy`);
  }
  if (!sawTenants) problems.push(`table ${SCHEMA}.tenants is missing (migrations not applied?)`);

  if (problems.length > 0) {
    throw new Error(`tenant isolation self-check failed: ${problems.join('; ')}`);
  }
}
