import type { IdentityServiceServer } from '../generated/wemaster/core/v1/identity.js';
import type { AsyncService } from '../unary-handler.js';
import { notImplemented } from './not-implemented.js';

export type ServiceAccountMethods =
  | 'createServiceAccount'
  | 'listServiceAccounts'
  | 'issueServiceToken'
  | 'rotateServiceAccountSecret'
  | 'deleteServiceAccount'
  | 'rotateSigningKey';

export function serviceAccountHandlers(): Pick<
  AsyncService<IdentityServiceServer>,
  ServiceAccountMethods
> {
  return {
    createServiceAccount: () => notImplemented('CreateServiceAccount'),
    listServiceAccounts: () => notImplemented('ListServiceAccounts'),
    issueServiceToken: () => notImplemented('IssueServiceToken'),
    rotateServiceAccountSecret: () => notImplemented('RotateServiceAccountSecret'),
    deleteServiceAccount: () => notImplemented('DeleteServiceAccount'),
    rotateSigningKey: () => notImplemented('RotateSigningKey'),
  };
}
