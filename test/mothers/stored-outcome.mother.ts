import type { StoredOutcome } from '../../src/domain/idempotency/idempotency-record.js';

/** A kept OK outcome whose body is `text`'s UTF-8 bytes. */
export const anOkOutcome = (text: string): StoredOutcome => ({
  code: 0,
  body: new TextEncoder().encode(text),
  message: '',
  details: undefined,
  truncated: false,
});
