import type { BindingView } from '../../../../application/authorization/binding-admin.js';
import type { CheckOutcome } from '../../../../application/authorization/policy-decision-point.js';
import type { RoleView } from '../../../../application/authorization/role-admin.js';
import {
  SubjectKind,
  type CheckResponse,
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

export const toCheckResponse = (outcome: CheckOutcome): CheckResponse => ({
  allowed: outcome.allowed,
  decisionId: outcome.decisionId,
  reason: {
    bindingId: outcome.bindingId ?? '',
    rolePath: [...outcome.rolePath],
    matchedPermission: outcome.matchedPermission ?? '',
    summary: outcome.summary,
  },
});
