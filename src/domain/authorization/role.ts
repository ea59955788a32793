export interface Role {
  readonly tenantId: string;
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly string[];
  readonly system: boolean;
  readonly createdAt: Date;
}

export interface RoleBinding {
  readonly tenantId: string;
  readonly id: string;
  readonly subjectId: string;
  readonly roleId: string;
  readonly createdAt: Date;
}
