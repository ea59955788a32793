import { DomainError, InvalidArgumentError } from '../shared/errors.js';
import { isUuid } from '../shared/uuid.js';

/**
 * A machine identity of one tenant (an internal microservice). It authenticates with a client
 * id and secret (client-credentials grant) and acts with the roles bound to it.
 *
 * The secret is 256 random bits, stored only as a SHA-256 digest: a secret with that much
 * entropy cannot be brute-forced from its digest, so no slow hash is needed (the usual practice
 * for API keys), and issuing a token stays cheap. After a rotation the previous digest keeps
 * working until `previousSecretExpiresAt`.
 */
export interface ServiceAccount {
  readonly tenantId: string;
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly clientId: string;
  readonly secretHash: string;
  readonly previousSecretHash: string | undefined;
  readonly previousSecretExpiresAt: Date | undefined;
  readonly createdAt: Date;
  readonly deletedAt: Date | undefined;
}

/** A service account with the names of the roles bound to it. */
export interface ServiceAccountView {
  readonly account: ServiceAccount;
  readonly roles: readonly string[];
}

export const MAX_SERVICE_ACCOUNT_NAME_LENGTH = 100;
export const MAX_SERVICE_ACCOUNT_DESCRIPTION_LENGTH = 1000;

export function parseServiceAccountName(field: string, raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > MAX_SERVICE_ACCOUNT_NAME_LENGTH) {
    throw new InvalidArgumentError(
      field,
      `must be 1 to ${String(MAX_SERVICE_ACCOUNT_NAME_LENGTH)} characters`,
    );
  }
  return name;
}

export function parseServiceAccountDescription(field: string, raw: string): string {
  if (raw.length > MAX_SERVICE_ACCOUNT_DESCRIPTION_LENGTH) {
    throw new InvalidArgumentError(
      field,
      `must be at most ${String(MAX_SERVICE_ACCOUNT_DESCRIPTION_LENGTH)} characters`,
    );
  }
  return raw;
}

/**
 * Client ids embed their tenant: `sa_<tenant id, 32 hex digits>_<random>`. A public
 * IssueServiceToken reads the tenant out of the client id and looks the account up inside that
 * tenant's row-level security scope: no cross-tenant lookup table or function is needed. The
 * tenant id is not a secret (it is in every access token's `tid`).
 */
const CLIENT_ID = /^sa_([0-9a-f]{32})_([A-Za-z0-9_-]{16,64})$/;

export const formatClientId = (tenantId: string, random: string): string =>
  `sa_${tenantId.toLowerCase().replaceAll('-', '')}_${random}`;

/** The tenant a client id names, or undefined when it is not one of ours. */
export function tenantOfClientId(clientId: string): string | undefined {
  const match = CLIENT_ID.exec(clientId);
  const hex = match?.[1];
  if (hex === undefined) return undefined;
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return isUuid(uuid) ? uuid : undefined;
}

/** Whether a presented secret's digest matches the current or the still-valid previous one. */
export function secretDigestMatches(
  account: ServiceAccount,
  matches: (storedDigest: string) => boolean,
  now: Date,
): boolean {
  const current = matches(account.secretHash);
  const previous =
    account.previousSecretHash !== undefined &&
    account.previousSecretExpiresAt !== undefined &&
    account.previousSecretExpiresAt.getTime() > now.getTime() &&
    matches(account.previousSecretHash);
  return current || previous;
}

/** The same error for unknown client, wrong secret and deleted account. */
export const invalidClient = (): DomainError =>
  new DomainError('unauthenticated', 'INVALID_CLIENT', 'invalid client credentials');

export const serviceAccountNotFound = (): DomainError =>
  new DomainError('not_found', 'SERVICE_ACCOUNT_NOT_FOUND', 'service account not found');

export const serviceAccountNameTaken = (): DomainError =>
  new DomainError(
    'already_exists',
    'SERVICE_ACCOUNT_NAME_TAKEN',
    'a service account with this name already exists',
  );
