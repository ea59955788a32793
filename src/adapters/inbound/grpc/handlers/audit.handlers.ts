import type { AuditEventLister } from '../../../../application/audit/list-audit-events.js';
import type { AuditChainVerifier } from '../../../../application/audit/verify-audit-chain.js';
import type { AuditServiceServer } from '../generated/wemaster/core/v1/audit.js';
import {
  fromProtoAuditFilter,
  toProtoAuditEvent,
  toProtoChainReport,
} from '../mappers/audit.mapper.js';
import { decodePageToken, encodePageToken } from '../mappers/page-token.mapper.js';
import type { AsyncService } from '../unary-handler.js';

export interface AuditUseCases {
  readonly list: AuditEventLister;
  readonly verify: AuditChainVerifier;
}

export function auditHandlers(useCases: AuditUseCases): AsyncService<AuditServiceServer> {
  return {
    listAuditEvents: async (request, ctx) => {
      const page = await useCases.list.run(ctx.requireActor(), {
        filter: fromProtoAuditFilter(request.filter),
        pageSize: request.page?.pageSize ?? 0,
        after: decodePageToken('page.page_token', request.page?.pageToken ?? ''),
      });
      return {
        events: page.items.map(toProtoAuditEvent),
        page: { nextPageToken: encodePageToken(page.nextAfter) },
      };
    },
    verifyAuditChain: async (_request, ctx) =>
      toProtoChainReport(await useCases.verify.run(ctx.requireActor())),
  };
}
