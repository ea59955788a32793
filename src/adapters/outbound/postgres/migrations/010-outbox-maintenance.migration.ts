import type { Knex } from 'knex';

import { APP_GROUP_ROLE as APP, SCHEMA as S } from '../pg-schema.js';

/**
 * Outbox upkeep across tenants, through two SECURITY DEFINER functions (pinned search_path,
 * EXECUTE for the app group only). Like `claim_outbox_messages` (006) they run as the owner,
 * which the `outbox_messages_dispatch` policy lets see every tenant's messages; the app role
 * stays confined to one tenant and gets no new privilege.
 *
 * - `prune_outbox_messages(retention, max_attempts, batch)` deletes at most `batch` sent
 *   messages older than the retention, then at most `batch` given-up ones (attempts exhausted,
 *   created before the retention), skipping locked rows: short statements, no long lock.
 * - `outbox_backlog(max_attempts)` counts messages still to send and given-up ones (metrics).
 */
// No `?` anywhere in this SQL: knex.raw reads it as a binding placeholder.
export const name = '010-outbox-maintenance';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
  create index outbox_messages_sent_idx on ${S}.outbox_messages (sent_at)
    where sent_at is not null;

  create function ${S}.prune_outbox_messages(p_retention_seconds integer, p_max_attempts integer, p_limit integer)
    returns integer
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
    declare
      v_before timestamptz := pg_catalog.now() - pg_catalog.make_interval(secs => p_retention_seconds);
      v_sent integer;
      v_failed integer;
    begin
      with doomed as (
        select m.tenant_id, m.id from ${S}.outbox_messages m
        where m.sent_at is not null and m.sent_at < v_before
        limit p_limit
        for update skip locked
      )
      delete from ${S}.outbox_messages m using doomed
        where m.tenant_id = doomed.tenant_id and m.id = doomed.id;
      get diagnostics v_sent = row_count;
      with doomed as (
        select m.tenant_id, m.id from ${S}.outbox_messages m
        where m.sent_at is null and m.attempts >= p_max_attempts and m.created_at < v_before
        limit p_limit
        for update skip locked
      )
      delete from ${S}.outbox_messages m using doomed
        where m.tenant_id = doomed.tenant_id and m.id = doomed.id;
      get diagnostics v_failed = row_count;
      return v_sent + v_failed;
    end
    $fn$;
  revoke all on function ${S}.prune_outbox_messages(integer, integer, integer) from public;
  grant execute on function ${S}.prune_outbox_messages(integer, integer, integer) to ${APP};

  create function ${S}.outbox_backlog(p_max_attempts integer)
    returns table (pending bigint, failed bigint)
    language sql stable security definer
    set search_path = pg_catalog, pg_temp
    as $fn$
      select pg_catalog.count(*) filter (where m.attempts < p_max_attempts),
             pg_catalog.count(*) filter (where m.attempts >= p_max_attempts)
      from ${S}.outbox_messages m
      where m.sent_at is null
    $fn$;
  revoke all on function ${S}.outbox_backlog(integer) from public;
  grant execute on function ${S}.outbox_backlog(integer) to ${APP};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
  drop function if exists ${S}.outbox_backlog(integer);
  drop function if exists ${S}.prune_outbox_messages(integer, integer, integer);
  drop index if exists ${S}.outbox_messages_sent_idx;
  `);
}
