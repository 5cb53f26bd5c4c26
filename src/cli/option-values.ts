/**
 * Option values the planning commands share: durations ("180s", "30m", "1.5h"), numbers with a
 * range and JSON files, each a clear usage error naming the option when it is not one.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.ts';

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h)?$/;
const UNIT = { s: 1, m: 60, h: 3600 } as const;

/** "180s", "30m", "1.5h", "20" → seconds. */
export function durationSeconds(option: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`--${option} is required (a duration such as 180s, 30m or 1h)`);
  const m = DURATION.exec(value.trim());
  if (!m) throw new UsageError(`--${option} ${value}: expected a duration such as 180s, 30m or 1h`);
  return Number(m[1]) * UNIT[(m[2] ?? 's') as keyof typeof UNIT];
}

export interface NumberRule {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly required?: boolean;
}

/** The option's number, checked against the rule; undefined when absent and not required. */
export function numberValue(option: string, value: string | undefined, o: NumberRule = {}): number | undefined {
  if (value === undefined) {
    if (o.required) throw new UsageError(`--${option} is required`);
    return undefined;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
    const range = o.min !== undefined || o.max !== undefined ? ` between ${o.min ?? '-∞'} and ${o.max ?? '∞'}` : '';
    throw new UsageError(`--${option} ${value}: expected a${o.integer ? ' whole' : ''} number${range}`);
  }
  return n;
}

/** The JSON in the file an option names; unreadable or not JSON is a usage error naming both. */
export async function jsonFile(option: string, file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError(`--${option} ${file}: ${(err as Error).message}`);
  }
}

/**
 * An ISO 8601 time with its zone (2026-11-11T00:00+08:00) as the API takes it; `shown` is the
 * whole option value when `text` is a part of it (one end of a <from>..<to>).
 */
export function zonedTime(option: string, text: string | undefined, shown = text): string {
  const ms = text !== undefined && /T\d{2}:\d{2}/.test(text) && /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--${option} ${shown}: an ISO time with its zone, e.g. 2026-11-11T00:00+08:00`);
  return new Date(ms).toISOString();
}
