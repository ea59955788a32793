import { InvalidArgumentError } from '../shared/errors.js';

/** A DNS label: it ends up in subdomains, so it must be one. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export function parseTenantSlug(field: string, raw: string): string {
  if (raw === '') throw new InvalidArgumentError(field, 'is required');
  if (raw.length < 3 || raw.length > 63) {
    throw new InvalidArgumentError(field, 'must be 3 to 63 characters long');
  }
  if (!DNS_LABEL.test(raw)) {
    throw new InvalidArgumentError(
      field,
      'must be lowercase letters, digits and inner hyphens (a DNS label)',
    );
  }
  return raw;
}
