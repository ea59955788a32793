import { InvalidArgumentError } from '../../domain/shared/errors.js';
import { parseText } from '../../domain/shared/text.js';

const PLAN = /^[a-z0-9][a-z0-9_-]{0,49}$/;

export const parseDisplayName = (field: string, raw: string): string =>
  parseText(field, raw, { max: 200 });

export function parsePlan(field: string, raw: string): string {
  if (!PLAN.test(raw)) {
    throw new InvalidArgumentError(field, 'must be 1 to 50 lowercase letters, digits, _ or -');
  }
  return raw;
}
