import { InvalidArgumentError } from '../shared/errors.js';

const TYPE = /^[a-z0-9_-]{1,63}$/;
/** 1..200 printable ASCII characters, no whitespace (`/` allowed: the id is everything after the first one). */
const ID = /^[\x21-\x7e]{1,200}$/;

/**
 * A resource named `type/id`, the scope of a resource binding and the target of a check:
 * `type` is 1..63 of `[a-z0-9_-]`, `id` is 1..200 printable ASCII characters without whitespace.
 * Validated on write (bindings) and on every check request; the engine compares it verbatim.
 */
export function parseResource(field: string, raw: string): string {
  const slash = raw.indexOf('/');
  const type = slash < 0 ? '' : raw.slice(0, slash);
  const id = slash < 0 ? '' : raw.slice(slash + 1);
  if (!TYPE.test(type) || !ID.test(id)) {
    throw new InvalidArgumentError(
      field,
      `"${raw.slice(0, 100)}" is not a resource (type/id: type of 1-63 [a-z0-9_-], id of 1-200 printable ASCII characters without spaces)`,
    );
  }
  return raw;
}
