import type { Page, PageQuery } from '../shared/page.js';
import type { ServiceAccount, ServiceAccountView } from './service-account.js';

/** Service accounts of the unit of work's tenant; deleted ones are invisible to every read. */
export interface ServiceAccountRepository {
  /** Throws `SERVICE_ACCOUNT_NAME_TAKEN` when a live account of the tenant has the name. */
  insert(account: ServiceAccount): Promise<void>;
  findById(id: string): Promise<ServiceAccount | undefined>;
  findByClientId(clientId: string): Promise<ServiceAccount | undefined>;
  /** Ordered by id; `after` is the last id of the previous page. Roles are sorted names. */
  list(query: PageQuery): Promise<Page<ServiceAccountView>>;
  /** Replaces the secret digests of a live account; false when there is none. */
  updateSecret(
    id: string,
    secretHash: string,
    previousSecretHash: string | undefined,
    previousSecretExpiresAt: Date | undefined,
  ): Promise<boolean>;
  /** Soft delete; false when there is no live account with that id. */
  markDeleted(id: string, at: Date): Promise<boolean>;
}
