/**
 * The tenant of the platform operators, created by the first migration. Its principals may
 * act in other tenants; everyone else is confined to their own.
 */
export const PLATFORM_TENANT_ID = '00000000-0000-4000-8000-000000000001';
export const PLATFORM_TENANT_SLUG = 'platform';
