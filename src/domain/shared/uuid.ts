import { InvalidArgumentError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/** Validates an id coming from outside and returns it in canonical lowercase. */
export function parseUuid(field: string, value: string): string {
  if (value === '') throw new InvalidArgumentError(field, 'is required');
  if (!isUuid(value)) throw new InvalidArgumentError(field, 'must be a UUID');
  return value.toLowerCase();
}
