import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * `idempotency_completion_in_transaction(tenant, principal, operation, key, now)`: a key's
 * completed, unexpired outcome, read in the message of a request transaction's BEGIN (with
 * literals: a message of several statements takes no parameters). A function, so that
 * PL/pgSQL keeps its query's plan for the session: a query with fresh literals would be planned
 * again on every call.
 *
 * SECURITY INVOKER, and unlike `idempotency_completion` (migration 012) it sets no tenant: it
 * reads under row-level security in the tenant the transaction has set, so another tenant's
 * key is not found.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '013-idempotency-completion-in-transaction';

const SIGNATURE = 'uuid, text, text, text, timestamptz';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create function ${S}.idempotency_completion_in_transaction(
      p_tenant_id uuid, p_principal_id text, p_operation text, p_key text, p_now timestamptz)
    returns table (
      fingerprint text, outcome_code integer, outcome_body bytea, outcome_message text,
      outcome_details bytea, outcome_truncated boolean)
    language plpgsql stable security invoker
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
      return query
        select k.fingerprint, k.outcome_code, k.outcome_body, k.outcome_message,
               k.outcome_details, k.outcome_truncated
          from ${S}.idempotency_keys k
         where k.tenant_id = p_tenant_id and k.principal_id = p_principal_id
           and k.operation = p_operation and k.idempotency_key = p_key
           and k.state = 'completed' and k.expires_at > p_now;
    end
    $fn$;
  revoke all on function ${S}.idempotency_completion_in_transaction(${SIGNATURE}) from public;
  grant execute on function ${S}.idempotency_completion_in_transaction(${SIGNATURE}) to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.idempotency_completion_in_transaction(${SIGNATURE});
  `);
}
