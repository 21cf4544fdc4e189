/**
 * Whether a write failed on a primary key or a unique constraint: another process inserted the
 * same row between our check and our insert. SQLite's codes, or PostgreSQL's SQLSTATE 23505.
 */
export function isUniqueViolation(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
