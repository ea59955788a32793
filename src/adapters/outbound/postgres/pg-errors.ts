/** The fields of a node-postgres `DatabaseError` we branch on (knex rethrows it as is). */
interface PgErrorFields {
  readonly code?: unknown;
  readonly constraint?: unknown;
}

export const pgErrorCode = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as PgErrorFields;
  return typeof code === 'string' ? code : undefined;
};

export const UNIQUE_VIOLATION = '23505';

/** True for a unique violation of the named constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (pgErrorCode(error) !== UNIQUE_VIOLATION) return false;
  return (error as PgErrorFields).constraint === constraint;
}
