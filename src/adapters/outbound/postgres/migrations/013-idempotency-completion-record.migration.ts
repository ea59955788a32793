import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, LEASE_LOST_SQLSTATE, SCHEMA as S } from '../pg-schema.js';

/**
 * Two functions for the idempotency ledger's statements that travel inside another message
 * (literals, no parameters), both SECURITY INVOKER: they read and write under row-level
 * security in the tenant the transaction has set, like any statement of the app role, and
 * PL/pgSQL keeps their queries' plans for the session (a query with fresh literals would be
 * planned again on every call).
 *
 * - `record_idempotency_completion(...)` writes a keyed call's outcome and raises SQLSTATE
 *   `WM001` when the key belongs to someone else (another lease, unexpired). Raising, not
 *   returning a count, is what lets it travel with the COMMIT: the failure skips the COMMIT
 *   behind it, and the transaction is rolled back.
 * - `idempotency_completion_in_transaction(...)` is the completed, unexpired outcome of a key,
 *   read with the transaction's BEGIN. Unlike `idempotency_completion` (migration 012) it sets
 *   no tenant: another tenant's key is not found.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '013-idempotency-completion-record';

const SIGNATURE = `uuid, text, text, text, text, integer, bytea, text, bytea, boolean,
  timestamptz, timestamptz, text`;

const LOOKUP = 'uuid, text, text, text, timestamptz';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create function ${S}.record_idempotency_completion(
      p_tenant_id uuid, p_principal_id text, p_operation text, p_key text, p_fingerprint text,
      p_code integer, p_body bytea, p_message text, p_details bytea, p_truncated boolean,
      p_expires_at timestamptz, p_now timestamptz, p_lease_token text)
    returns void
    language plpgsql volatile security invoker
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
      -- Takes a fresh key, the caller's own lease (Postgres store), or an expired record;
      -- anything else is someone else's and must not be overwritten.
      insert into ${S}.idempotency_keys as k
        (tenant_id, principal_id, operation, idempotency_key, fingerprint, state,
         lease_token, lease_expires_at, outcome_code, outcome_body, outcome_message,
         outcome_details, outcome_truncated, expires_at, updated_at)
      values (p_tenant_id, p_principal_id, p_operation, p_key, p_fingerprint, 'completed',
         null, null, p_code, p_body, p_message, p_details, p_truncated, p_expires_at, p_now)
      on conflict (tenant_id, principal_id, operation, idempotency_key) do update set
         fingerprint = excluded.fingerprint, state = 'completed', lease_token = null,
         lease_expires_at = null, outcome_code = excluded.outcome_code,
         outcome_body = excluded.outcome_body, outcome_message = excluded.outcome_message,
         outcome_details = excluded.outcome_details,
         outcome_truncated = excluded.outcome_truncated,
         expires_at = excluded.expires_at, updated_at = excluded.updated_at
      where (k.state = 'in_progress' and k.lease_token = p_lease_token)
         or k.expires_at <= p_now;
      if not found then
        raise exception 'the idempotency key is held by another caller'
          using errcode = '${LEASE_LOST_SQLSTATE}';
      end if;
    end
    $fn$;
  revoke all on function ${S}.record_idempotency_completion(${SIGNATURE}) from public;
  grant execute on function ${S}.record_idempotency_completion(${SIGNATURE}) to ${APP};

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
  revoke all on function ${S}.idempotency_completion_in_transaction(${LOOKUP}) from public;
  grant execute on function ${S}.idempotency_completion_in_transaction(${LOOKUP}) to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.idempotency_completion_in_transaction(${LOOKUP});
  drop function if exists ${S}.record_idempotency_completion(${SIGNATURE});
  `);
}
