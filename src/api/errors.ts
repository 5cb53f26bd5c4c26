/**
 * The API's error catalogue: every error code with its HTTP status. Handlers throw
 * ApiError with a code from here; the server turns it (and Fastify's own errors, and the
 * store's NotFound/Conflict/Validation/FlowInvalid errors) into
 * `{ "error": { "code", "message" } }` with that status. A refused flow also carries
 * `problems` ([{ path, node?, message }]) next to code and message.
 */
import { ConflictError, NotFoundError, ValidationError } from '../store/errors.ts';

export const ERROR_CODES = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  too_many_requests: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface Problem {
  path: string;
  node?: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Only for `unprocessable`: what is wrong, each at its path in the document. */
    readonly problems?: readonly Problem[],
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** The code for an HTTP status we did not choose ourselves (Fastify's 404, 415, 413 …). */
export function codeForStatus(status: number): ErrorCode {
  for (const [code, s] of Object.entries(ERROR_CODES)) if (s === status) return code as ErrorCode;
  return status >= 500 ? 'internal' : 'bad_request';
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; problems?: readonly Problem[] };
}

export function errorBody(code: ErrorCode, message: string, problems?: readonly Problem[]): ErrorBody {
  return problems ? { error: { code, message, problems } } : { error: { code, message } };
}

/**
 * The store's verdicts as API errors; undefined for anything else (a bug or an outage,
 * answered 500 by the caller). FlowInvalidError is recognised by shape, so this module
 * does not depend on the flows repository.
 */
export function fromStoreError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof NotFoundError) return new ApiError('not_found', err.message);
  if (err instanceof ConflictError) return new ApiError('conflict', err.message);
  if (err instanceof ValidationError) return new ApiError('bad_request', err.message);
  if (err instanceof Error && err.name === 'FlowInvalidError') {
    const problems = (err as Error & { problems?: unknown }).problems;
    if (Array.isArray(problems)) {
      const list = problems.map((p: Problem) => ({ path: p.path, ...(p.node !== undefined ? { node: p.node } : {}), message: p.message }));
      return new ApiError('unprocessable', err.message || `the flow has ${list.length} problem(s)`, list);
    }
  }
  return undefined;
}
