import { InMemoryAuditLog } from '../../src/adapters/outbound/memory/in-memory-audit-log.js';
import { auditLogContract } from './audit-log.contract.js';

auditLogContract('InMemoryAuditLog', () => Promise.resolve(new InMemoryAuditLog()));
