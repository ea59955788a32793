export type UserStatus = 'active' | 'disabled';

export interface User {
  readonly tenantId: string;
  readonly id: string;
  readonly email: string;
  readonly emailNormalized: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly status: UserStatus;
  readonly createdAt: Date;
  readonly lastLoginAt: Date | undefined;
}
