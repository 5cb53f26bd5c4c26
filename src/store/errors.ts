/**
 * Store errors that callers can act on (HTTP 404 / 409), independent of the backend.
 * PGlite and pg both surface the server's SQLSTATE as `code` on their error objects,
 * so one mapping serves both.
 */

/** A tenant-scoped lookup found nothing (or found a row of another tenant, which is the same to the caller). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} not found: ${key}`);
  }
}

/** A unique constraint refused the write (SQLSTATE 23505). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(
    message: string,
    readonly constraint: string | undefined,
  ) {
    super(message);
  }
}

// PostgreSQL Appendix A, class 23 (integrity constraint violation).
export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
export const INVALID_TEXT_REPRESENTATION = '22P02';

interface SqlStateError {
  code: string;
  constraint?: string;
  detail?: string;
}

/** Both drivers' errors carry SQLSTATE in `code`; anything else (I/O, bugs) is not a database verdict. */
export function sqlState(err: unknown): SqlStateError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const constraint = (err as { constraint?: unknown }).constraint;
  const detail = (err as { detail?: unknown }).detail;
  return {
    code,
    ...(typeof constraint === 'string' ? { constraint } : {}),
    ...(typeof detail === 'string' ? { detail } : {}),
  };
}

/** Turns a unique violation into ConflictError; returns every other error unchanged for rethrow. */
export function mapConflict(err: unknown, what: string): unknown {
  const s = sqlState(err);
  if (s?.code === UNIQUE_VIOLATION) return new ConflictError(`${what} already exists`, s.constraint);
  return err;
}

/** Input the store refuses before asking the database (bad number format, unknown time zone). */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
