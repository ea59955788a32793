import type { TenantChanges } from '../../../domain/tenancy/tenant-changes.port.js';

/** Tenant change announcements within this process only. */
export class InProcessTenantChanges implements TenantChanges {
  private readonly listeners: ((tenantId: string) => void)[] = [];

  changed(tenantId: string): void {
    for (const listener of this.listeners) listener(tenantId);
  }

  onChange(listener: (tenantId: string) => void): void {
    this.listeners.push(listener);
  }
}
