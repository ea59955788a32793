import type { TenantScope, UnitOfWork } from '../../../domain/shared/unit-of-work.port.js';
import { ambientTransaction } from './pg-request-transactions.js';

/**
 * A unit of work that never joins the request transaction it is called from: it reads
 * committed state in a transaction of its own. For shared caches (compiled policies) filled on
 * behalf of many requests: what one request's transaction has not committed must not be
 * cached for the others, and a rolled-back request must not fail the others' shared read.
 */
export class DetachedUnitOfWork implements UnitOfWork {
  constructor(private readonly inner: UnitOfWork) {}

  inTenant<T>(tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T> {
    return ambientTransaction.exit(() => this.inner.inTenant(tenantId, work));
  }
}
