import type { BindingView } from '../../../../application/authorization/binding-admin.js';
import type { CheckOutcome } from '../../../../application/authorization/policy-decision-point.js';
import type { RoleView } from '../../../../application/authorization/role-admin.js';
import type { Decision } from '../../../../domain/authorization/policy-engine.js';
import {
  SubjectKind,
  type CheckResponse,
  type DecisionReason,
  type Role,
  type RoleBinding,
} from '../generated/wemaster/core/v1/authorization.js';

export const toRoleProto = ({ role, inherits }: RoleView): Role => ({
  id: role.id,
  tenantId: role.tenantId,
  name: role.name,
  description: role.description,
  permissions: [...role.permissions],
  inherits: [...inherits],
  system: role.system,
  createTime: role.createdAt,
  updateTime: role.updatedAt,
});

export const toBindingProto = ({ binding, role }: BindingView): RoleBinding => ({
  id: binding.id,
  tenantId: binding.tenantId,
  subjectId: binding.subjectId,
  subjectKind:
    binding.subjectKind === 'service'
      ? SubjectKind.SUBJECT_KIND_SERVICE
      : SubjectKind.SUBJECT_KIND_USER,
  role,
  resource: binding.scope.kind === 'resource' ? binding.scope.resource : '',
  expireTime: binding.expiresAt,
  createTime: binding.createdAt,
});

/**
 * The engine hands out the same Decision for the same question while it holds, so its reason
 * is mapped once and shared by every response carrying it (see check-response.encoding.ts,
 * which keeps its bytes as well). Reasons are never changed after mapping.
 */
const reasons = new WeakMap<Decision, DecisionReason>();

export function toDecisionReason(decision: Decision): DecisionReason {
  let reason = reasons.get(decision);
  if (reason === undefined) {
    reason = {
      bindingId: decision.bindingId ?? '',
      rolePath: [...decision.rolePath],
      matchedPermission: decision.matchedPermission ?? '',
      summary: decision.summary,
    };
    reasons.set(decision, reason);
  }
  return reason;
}

export const toCheckResponse = (outcome: CheckOutcome): CheckResponse => ({
  allowed: outcome.allowed,
  decisionId: outcome.decisionId,
  reason: toDecisionReason(outcome.decision),
});
