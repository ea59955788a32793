import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * `idempotency_record_completion(...)`: writes a key's completed outcome inside the request's
 * transaction, or fails with SQLSTATE `WM001` when the key is someone else's (completed, or
 * held under another lease, and not expired). It fails instead of writing nothing because it
 * travels in one message with the COMMIT (extended protocol, with parameters): an error is the
 * only way to stop that COMMIT, and a failed transaction's COMMIT rolls back.
 *
 * SECURITY INVOKER and no tenant switch: the row is checked by row-level security against the
 * tenant the transaction has set. PL/pgSQL, so the INSERT's plan is kept for the session.
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '014-idempotency-completion-record';

const SIGNATURE =
  'uuid, text, text, text, text, integer, bytea, text, bytea, boolean, timestamptz, timestamptz, text';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create function ${S}.idempotency_record_completion(
      p_tenant_id uuid, p_principal_id text, p_operation text, p_key text, p_fingerprint text,
      p_code integer, p_body bytea, p_message text, p_details bytea, p_truncated boolean,
      p_expires_at timestamptz, p_now timestamptz, p_lease_token text)
    returns void
    language plpgsql volatile security invoker
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
      -- Takes a fresh key, the caller's own lease (Postgres store), or an expired record.
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
        raise exception 'idempotency lease lost' using errcode = 'WM001';
      end if;
    end
    $fn$;
  revoke all on function ${S}.idempotency_record_completion(${SIGNATURE}) from public;
  grant execute on function ${S}.idempotency_record_completion(${SIGNATURE}) to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.idempotency_record_completion(${SIGNATURE});
  `);
}
