import { InvalidArgumentError } from './errors.js';

/** Trims and checks a human-readable string field (names, descriptions). */
export function parseText(
  field: string,
  value: string,
  { min = 1, max }: { min?: number; max: number },
): string {
  const text = value.trim();
  if (text.length < min) {
    throw new InvalidArgumentError(
      field,
      min === 1 ? 'is required' : `needs at least ${min} characters`,
    );
  }
  if (text.length > max) throw new InvalidArgumentError(field, `must be at most ${max} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new InvalidArgumentError(field, 'must not contain control characters');
  }
  return text;
}
