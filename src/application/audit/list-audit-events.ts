import type { ChainedAuditEvent } from '../../domain/audit/audit-chain.js';
import type { AuditEventFilter, AuditLog } from '../../domain/audit/audit-log.port.js';
import { InvalidArgumentError } from '../../domain/shared/errors.js';
import { pageFrom, pageQuery, type Page } from '../../domain/shared/page.js';
import type { Actor } from '../shared/actor.js';

export interface ListAuditEventsInput {
  readonly filter: AuditEventFilter;
  readonly pageSize: number;
  /** The decoded page token: the sequence of the previous page's last event. */
  readonly after: string | undefined;
}

const MAX_FILTER_TEXT = 256;

function parseSequenceCursor(field: string, raw: string): number {
  const sequence = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(sequence)) {
    throw new InvalidArgumentError(field, 'is not a page token from this server');
  }
  return sequence;
}

function checkText(field: string, text: string | undefined): void {
  if (text === undefined) return;
  if (text.length > MAX_FILTER_TEXT) {
    throw new InvalidArgumentError(field, `must be at most ${String(MAX_FILTER_TEXT)} characters`);
  }
  // Postgres text cannot hold NUL: refused here rather than failing the query.
  if (text.includes('\u0000')) {
    throw new InvalidArgumentError(field, 'must not contain NUL characters');
  }
}

/** A real instant in years 0001-9999 (what a Timestamp may hold, and Postgres can compare). */
function checkTime(field: string, time: Date | undefined): void {
  if (time === undefined) return;
  const year = time.getUTCFullYear();
  if (Number.isNaN(time.getTime()) || year < 1 || year > 9999) {
    throw new InvalidArgumentError(field, 'must be a time between years 0001 and 9999');
  }
}

/**
 * The acting tenant's audit events, newest first (by chain sequence, so events recorded late
 * still page consistently), filtered by actor, action prefix, outcome and time range, page by
 * page with a keyset cursor on the sequence.
 */
export class AuditEventLister {
  constructor(private readonly log: AuditLog) {}

  async run(actor: Actor, input: ListAuditEventsInput): Promise<Page<ChainedAuditEvent>> {
    const { filter } = input;
    checkText('filter.actor_subject_id', filter.actorSubjectId);
    checkText('filter.action_prefix', filter.actionPrefix);
    checkTime('filter.since_time', filter.since);
    checkTime('filter.until_time', filter.until);
    if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) {
      throw new InvalidArgumentError('filter.until_time', 'must not be before filter.since_time');
    }
    const before =
      input.after === undefined ? undefined : parseSequenceCursor('page.page_token', input.after);
    const { limit } = pageQuery('page', input.pageSize, undefined);
    const rows = await this.log.search(actor.tenantId, {
      ...filter,
      beforeSequence: before,
      limit: limit + 1,
    });
    return pageFrom(rows, limit, (event) => String(event.sequence));
  }
}
