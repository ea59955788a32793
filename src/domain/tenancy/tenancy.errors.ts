import { DomainError } from '../shared/errors.js';

export const tenantSlugTaken = (slug: string): DomainError =>
  new DomainError(
    'already_exists',
    'TENANT_SLUG_TAKEN',
    `a tenant with slug "${slug}" already exists`,
    {
      slug,
    },
  );

/** Also what a caller gets for a tenant it may not see: existence is not revealed. */
export const tenantNotFound = (): DomainError =>
  new DomainError('not_found', 'TENANT_NOT_FOUND', 'tenant not found');
