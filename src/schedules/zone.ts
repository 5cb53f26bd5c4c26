/**
 * Wall-clock ↔ instant conversion for an IANA time zone with nothing but Intl.DateTimeFormat.
 * "Wall" values are local date-times encoded as milliseconds since 1970-01-01T00:00 *local*
 * (i.e. as if the zone were UTC), so calendar arithmetic on them is plain integer arithmetic.
 */

export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the zone (unknown names throw RangeError in the constructor). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** UTC offset of the zone at an instant, in ms (Taipei: +8 h). Whole seconds, as tzdb defines them. */
export function offsetMs(timeZone: string, instantMs: number): number {
  const seconds = Math.floor(instantMs / 1000) * 1000;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of formatter(timeZone).formatToParts(seconds)) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
      default: break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) - seconds;
}

export function wallOf(timeZone: string, instantMs: number): number {
  return instantMs + offsetMs(timeZone, instantMs);
}

/**
 * The instant a wall-clock time denotes. Two cases have no single answer:
 * - the time occurs twice (clocks turned back): the first occurrence, so a boundary in the
 *   repeated hour takes effect as soon as the clock first shows it;
 * - the time never occurs (clocks jumped forward): the instant of the jump, so a boundary in
 *   the skipped hour takes effect the moment the clock skips past it.
 * Both choices keep the mapping non-decreasing, so an interval never turns inside out.
 * Assumes no two transitions within two days of each other, which holds for every tzdb zone
 * in modern dates.
 */
export function instantOfWall(timeZone: string, wallMs: number): number {
  const before = offsetMs(timeZone, wallMs - DAY_MS);
  const after = offsetMs(timeZone, wallMs + DAY_MS);
  const early = wallMs - before;
  if (offsetMs(timeZone, early) === before) return early;
  const late = wallMs - after;
  if (before === after || offsetMs(timeZone, late) === after) return late;
  // In the gap: find the transition between `late` (still `before`) and `early` (already `after`).
  let lo = Math.min(early, late);
  let hi = Math.max(early, late);
  while (hi - lo > 1000) {
    const mid = lo + Math.max(1000, Math.floor((hi - lo) / 2000) * 1000);
    if (offsetMs(timeZone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}
