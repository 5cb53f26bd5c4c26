/**
 * `--expires` of `surgeline announce`: a duration from now (`90s`, `30m`, `2h`, `1d`,
 * or combined `1h30m`) or an ISO 8601 timestamp with a zone (`2026-11-23T18:00:00+08:00`).
 * Returns the instant as an ISO string for the API; anything else is a usage error.
 */
import { UsageError } from './errors.ts';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
// A date and a time with seconds optional, and a zone: Z or ±hh:mm.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function parseExpires(value: string, nowMs: number): string {
  const v = value.trim();
  const d = DURATION.exec(v);
  if (d && v !== '') {
    const [, days, hours, minutes, seconds] = d;
    const ms =
      Number(days ?? 0) * UNIT_MS.d + Number(hours ?? 0) * UNIT_MS.h + Number(minutes ?? 0) * UNIT_MS.m + Number(seconds ?? 0) * UNIT_MS.s;
    if (ms <= 0) throw new UsageError(`--expires ${value}: the duration must be longer than zero`);
    return new Date(nowMs + ms).toISOString();
  }
  if (ISO.test(v)) {
    const at = Date.parse(v);
    if (Number.isNaN(at)) throw new UsageError(`--expires ${value}: not a real date and time`);
    if (at <= nowMs) throw new UsageError(`--expires ${value}: that time has already passed`);
    return new Date(at).toISOString();
  }
  throw new UsageError(`--expires ${value}: expected a duration (90s, 30m, 2h, 1d, 1h30m) or an ISO time with a zone (2026-11-23T18:00:00+08:00)`);
}

/** A duration such as 90s, 30m, 2h, 1d or 1h30m in ms; undefined when `value` is not one (or is zero). */
export function durationMs(value: string): number | undefined {
  const v = value.trim();
  const d = DURATION.exec(v);
  if (!d || v === '') return undefined;
  const [, days, hours, minutes, seconds] = d;
  const ms = Number(days ?? 0) * UNIT_MS.d + Number(hours ?? 0) * UNIT_MS.h + Number(minutes ?? 0) * UNIT_MS.m + Number(seconds ?? 0) * UNIT_MS.s;
  return ms > 0 ? ms : undefined;
}
