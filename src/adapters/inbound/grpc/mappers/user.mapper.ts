import type { User as DomainUser, UserStatus } from '../../../../domain/identity/user.js';
import {
  type User,
  UserStatus as ProtoUserStatus,
} from '../generated/wemaster/core/v1/identity.js';

const TO_PROTO: Record<UserStatus, ProtoUserStatus> = {
  active: ProtoUserStatus.USER_STATUS_ACTIVE,
  disabled: ProtoUserStatus.USER_STATUS_DISABLED,
};

/** The public view of a user: never the password hash. */
export function toProtoUser(user: DomainUser): User {
  return {
    id: user.id,
    tenantId: user.tenantId,
    email: user.email,
    displayName: user.displayName,
    status: TO_PROTO[user.status],
    emailVerified: user.emailVerifiedAt !== undefined,
    createTime: user.createdAt,
    lastLoginTime: user.lastLoginAt,
  };
}
