/** Where everything of WeMaster Core lives in the database (not `public`). */
export const SCHEMA = 'core';

/**
 * NOLOGIN group role that holds every privilege the service needs, granted by the migrations
 * next to the objects they create. The login role the service connects as (its name comes from
 * the app connection URL) is only made a member of it, so migrations never hardcode it.
 */
export const APP_GROUP_ROLE = 'wemaster_core_app';

export const TABLE = {
  tenants: `${SCHEMA}.tenants`,
  users: `${SCHEMA}.users`,
  roles: `${SCHEMA}.roles`,
  roleBindings: `${SCHEMA}.role_bindings`,
  roleInherits: `${SCHEMA}.role_inherits`,
  tenantPolicyVersions: `${SCHEMA}.tenant_policy_versions`,
  signingKeys: `${SCHEMA}.signing_keys`,
  idempotencyKeys: `${SCHEMA}.idempotency_keys`,
} as const;

/** The transaction-local setting the row-level security policies read. */
export const TENANT_SETTING = 'app.tenant_id';
