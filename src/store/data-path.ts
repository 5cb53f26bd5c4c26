/**
 * Files the store points at (voicemail and recording WAVs) live under the data directory
 * and are stored by their path relative to it, so a data directory can be moved or mounted
 * elsewhere (and a pluggable storage can map the same key). A stored path never escapes
 * the data directory: no absolute path, no "..", no backslash, no empty segment.
 */
import { ValidationError } from './errors.ts';

const SEGMENT = /^[\p{L}\p{N}_.@+-]+$/u;

/** Returns `path` when it is a safe relative path; ValidationError(field) otherwise. */
export function checkDataPath(path: string, field = 'path'): string {
  const segments = path.split('/');
  if (
    path.length === 0 ||
    path.length > 512 ||
    segments.some((s) => s === '' || s === '.' || s === '..' || !SEGMENT.test(s))
  ) {
    throw new ValidationError(field, `a path relative to the data directory (segments of letters, digits, "_", ".", "@", "+", "-"): ${JSON.stringify(path)}`);
  }
  return path;
}
