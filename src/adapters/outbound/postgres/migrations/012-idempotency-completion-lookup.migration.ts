import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * `idempotency_completion(tenant, principal, operation, key, now)`: a keyed call's completed,
 * unexpired outcome in one statement, so one round trip. Read the usual way outside a
 * transaction, it takes four (BEGIN, set_config, SELECT, COMMIT); with this, the idempotency
 * runner looks it up while its request transaction opens instead of after.
 *
 * SECURITY INVOKER: the body sets the tenant transaction-locally and reads under row-level
 * security like any query of the app role, then sets back the tenant it found: called inside a
 * transaction, it leaves that transaction confined to its own tenant (without the restore a
 * test saw the setting outlive the call; the SET clause pins search_path only). On an error the
 * restore is skipped, and the aborted transaction discards the setting anyway.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '012-idempotency-completion-lookup';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create function ${S}.idempotency_completion(
      p_tenant_id uuid, p_principal_id text, p_operation text, p_key text, p_now timestamptz)
    returns table (
      fingerprint text, outcome_code integer, outcome_body bytea, outcome_message text,
      outcome_details bytea, outcome_truncated boolean)
    language plpgsql volatile security invoker
    set search_path = pg_catalog, pg_temp
    as $fn$
    declare
      previous text;
    begin
      previous := pg_catalog.current_setting('app.tenant_id', true);
      perform pg_catalog.set_config('app.tenant_id', p_tenant_id::text, true);
      return query
        select k.fingerprint, k.outcome_code, k.outcome_body, k.outcome_message,
               k.outcome_details, k.outcome_truncated
          from ${S}.idempotency_keys k
         where k.tenant_id = p_tenant_id and k.principal_id = p_principal_id
           and k.operation = p_operation and k.idempotency_key = p_key
           and k.state = 'completed' and k.expires_at > p_now;
      perform pg_catalog.set_config('app.tenant_id', coalesce(previous, ''), true);
    end
    $fn$;
  revoke all on function ${S}.idempotency_completion(uuid, text, text, text, timestamptz)
    from public;
  grant execute on function ${S}.idempotency_completion(uuid, text, text, text, timestamptz)
    to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.idempotency_completion(uuid, text, text, text, timestamptz);
  `);
}
