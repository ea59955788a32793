import { InvalidArgumentError } from '../shared/errors.js';

/** Characters in each of a permission's two segments. */
export const MAX_PERMISSION_SEGMENT = 128;
/** One test per permission: checked on every item of every Check and CheckMany. */
const PERMISSION = /^[a-z0-9_-]{1,128}:(?:\*|[a-z0-9_-]{1,128})$/;

/**
 * `resource:action`, where either segment may be the whole-segment wildcard `*`, or `*`
 * alone for everything.
 */
export function parsePermission(field: string, raw: string): string {
  if (raw === '*') return raw;
  if (raw.length > 2 * MAX_PERMISSION_SEGMENT + 1) {
    throw new InvalidArgumentError(
      field,
      `at most ${String(MAX_PERMISSION_SEGMENT)} characters per segment`,
    );
  }
  if (!PERMISSION.test(raw)) {
    throw new InvalidArgumentError(
      field,
      `"${raw.slice(0, 100)}" is not a permission (resource:action, lowercase [a-z0-9_-], * as a whole segment)`,
    );
  }
  return raw;
}

/**
 * The namespace of platform-operator permissions. The bare `*` of a tenant owner never reaches
 * into it: only an explicit `platform:...` grant does.
 */
export const PLATFORM_NAMESPACE = 'platform:';

/** Whether a granted permission (possibly a wildcard) covers a required concrete one. */
export function permissionCovers(granted: string, required: string): boolean {
  if (granted === required) return true;
  if (granted === '*') return !required.startsWith(PLATFORM_NAMESPACE);
  if (!granted.endsWith(':*')) return false;
  return required.startsWith(granted.slice(0, -1));
}
