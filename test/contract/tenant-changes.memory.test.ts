import { InProcessTenantChanges } from '../../src/adapters/outbound/memory/in-process-tenant-changes.js';
import { tenantChangesContract } from './tenant-changes.contract.js';

tenantChangesContract('in-process', () => Promise.resolve(new InProcessTenantChanges()));
