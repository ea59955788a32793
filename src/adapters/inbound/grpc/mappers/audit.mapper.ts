import type { AuditChainReport } from '../../../../application/audit/verify-audit-chain.js';
import type { ChainedAuditEvent } from '../../../../domain/audit/audit-chain.js';
import type { AuditOutcome } from '../../../../domain/audit/audit-event.js';
import type { AuditEventFilter } from '../../../../domain/audit/audit-log.port.js';
import { InvalidArgumentError } from '../../../../domain/shared/errors.js';
import {
  type AuditEvent,
  type AuditEventFilter as ProtoAuditEventFilter,
  AuditOutcome as ProtoAuditOutcome,
  type VerifyAuditChainResponse,
} from '../generated/wemaster/core/v1/audit.js';

const TO_PROTO: Record<AuditOutcome, ProtoAuditOutcome> = {
  success: ProtoAuditOutcome.AUDIT_OUTCOME_SUCCESS,
  failure: ProtoAuditOutcome.AUDIT_OUTCOME_FAILURE,
  denied: ProtoAuditOutcome.AUDIT_OUTCOME_DENIED,
};

function fromProtoOutcome(field: string, value: ProtoAuditOutcome): AuditOutcome | undefined {
  if (value === ProtoAuditOutcome.AUDIT_OUTCOME_UNSPECIFIED) return undefined;
  const entry = Object.entries(TO_PROTO).find(([, proto]) => proto === value);
  if (entry === undefined) {
    throw new InvalidArgumentError(field, `unknown audit outcome ${String(value)}`);
  }
  return entry[0] as AuditOutcome;
}

/** The request's filter; empty fields filter nothing. */
export function fromProtoAuditFilter(filter: ProtoAuditEventFilter | undefined): AuditEventFilter {
  if (filter === undefined) return {};
  return {
    actorSubjectId: filter.actorSubjectId === '' ? undefined : filter.actorSubjectId,
    actionPrefix: filter.actionPrefix === '' ? undefined : filter.actionPrefix,
    outcome: fromProtoOutcome('filter.outcome', filter.outcome),
    since: filter.sinceTime,
    until: filter.untilTime,
  };
}

/** An event as clients see it; details become a google.protobuf.Struct. */
export function toProtoAuditEvent(event: ChainedAuditEvent): AuditEvent {
  return {
    id: event.id,
    tenantId: event.tenantId,
    sequence: event.sequence,
    occurTime: event.occurredAt,
    actor: {
      subjectId: event.actor.subjectId ?? '',
      kind: event.actor.kind,
      ip: event.actor.ip ?? '',
      requestId: event.actor.requestId ?? '',
    },
    action: event.action,
    targetType: event.target?.type ?? '',
    targetId: event.target?.id ?? '',
    outcome: TO_PROTO[event.outcome],
    details: { ...event.details },
    hash: event.hash,
  };
}

export const toProtoChainReport = (report: AuditChainReport): VerifyAuditChainResponse => ({
  ok: report.ok,
  checked: report.checked,
  firstBadSequence: report.firstBadSequence ?? 0,
  problem: report.problem,
});
