import type { AuditEvent } from './audit-event.js';

/**
 * Fire-and-forget audit for hot paths (denied checks): events are buffered and written in
 * batches off the request path. `flush` writes everything buffered so far; shutdown calls it,
 * so no recorded event is lost on SIGTERM.
 */
export interface AuditRecorder {
  record(event: AuditEvent): void;
  flush(): Promise<void>;
}
