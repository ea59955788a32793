/**
 * A tenant's named set of permissions. A role also holds every permission of the roles it
 * inherits (by id, same tenant); the inheritance graph is kept acyclic on every write.
 */
export interface Role {
  readonly tenantId: string;
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** The role's own permissions, validated `resource:action` strings (wildcards allowed). */
  readonly permissions: readonly string[];
  /** Ids of the roles of the same tenant this one inherits from. */
  readonly inherits: readonly string[];
  /** owner, admin, member: in every tenant, fixed, never deleted. */
  readonly system: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type SubjectKind = 'user' | 'service';

/**
 * Where a binding applies: the whole tenant, or one resource named `type/id`. A tenant-wide
 * binding covers every resource; a resource binding covers only that resource.
 */
export type BindingScope =
  { readonly kind: 'tenant' } | { readonly kind: 'resource'; readonly resource: string };

export const TENANT_SCOPE: BindingScope = { kind: 'tenant' };

/** Grants a role to a subject in a scope, until `expiresAt` (exclusive) when set. */
export interface RoleBinding {
  readonly tenantId: string;
  readonly id: string;
  readonly subjectId: string;
  readonly subjectKind: SubjectKind;
  readonly roleId: string;
  readonly scope: BindingScope;
  readonly expiresAt: Date | undefined;
  readonly createdAt: Date;
}
