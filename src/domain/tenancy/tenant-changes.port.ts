/**
 * Announces that a tenant changed (profile, plan, status), so every cache of tenant data
 * forgets it. The in-process adapter reaches this replica; a broadcasting adapter (Redis
 * pub/sub, Postgres NOTIFY) reaches all of them.
 */
export interface TenantChanges {
  changed(tenantId: string): void;
  onChange(listener: (tenantId: string) => void): void;
}
