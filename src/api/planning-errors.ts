/**
 * The planning engine's input errors (src/planning/input-error.ts: each names the input it is
 * about) as the API's 422 with that input as the problem's path; anything else goes on up.
 */
import { PlanningInputError } from '../planning/input-error.ts';
import { ApiError } from './errors.ts';

export function rethrowAsUnprocessable(err: unknown): never {
  if (err instanceof PlanningInputError) throw new ApiError('unprocessable', err.message, [{ path: err.input, message: err.message }]);
  throw err;
}
