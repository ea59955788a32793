import type { AuditServiceServer } from '../generated/wemaster/core/v1/audit.js';
import type { AsyncService } from '../unary-handler.js';
import { notImplemented } from './not-implemented.js';

export function auditHandlers(): AsyncService<AuditServiceServer> {
  return {
    listAuditEvents: () => notImplemented('ListAuditEvents'),
    verifyAuditChain: () => notImplemented('VerifyAuditChain'),
  };
}
