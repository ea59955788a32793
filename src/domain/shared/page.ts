import { InvalidArgumentError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Keyset pagination: `after` is the last key of the previous page. */
export interface PageQuery {
  readonly limit: number;
  readonly after: string | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** The key to pass as `after` for the next page; undefined when this is the last one. */
  readonly nextAfter: string | undefined;
}

export function pageQuery(field: string, size: number, after: string | undefined): PageQuery {
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError(`${field}.page_size`, `must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return { limit: size === 0 ? DEFAULT_PAGE_SIZE : size, after };
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells that more exist. */
export function pageFrom<T>(rows: readonly T[], limit: number, keyOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextAfter: rows.length > limit && last !== undefined ? keyOf(last) : undefined };
}
