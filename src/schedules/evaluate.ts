/**
 * Is a line open at an instant, and when does that change? Pure functions of (schedule, instant):
 * callers pass clock.wallNow(), never Date.now() here.
 *
 * Rules:
 * - Intervals are half-open: open at `open` (inclusive), closed at `close` (exclusive).
 * - A shift belongs to the local date it opens on; close < open runs past midnight
 *   (fri 18:00–02:00 covers sat 01:00), close 24:00 ends at the next midnight.
 * - A holiday replaces the hours of its local date: shifts opening that date come from the
 *   holiday's hours (none = closed). A shift that opened the day before still runs to its close.
 * - Wall times are converted with zone.ts: a boundary in a repeated hour (DST ends) takes effect
 *   at its first occurrence, one in a skipped hour (DST starts) at the moment of the jump.
 * - "Change" means open ↔ closed; back-to-back shifts (mon 00:00–24:00, tue 00:00–…) are one.
 */
import { dayNumberOf, minutesOf, intervalMinutes, weekdayOf } from './schedule.ts';
import type { Interval, Schedule } from './schedule.ts';
import { DAY_MS, MINUTE_MS, instantOfWall, wallOf } from './zone.ts';

export type OpenReason = 'hours' | 'holiday' | 'closed';

export interface OpenState {
  open: boolean;
  /** hours: weekly hours; holiday: the local date is a holiday (closed, or open on its special hours); closed: outside the weekly hours. */
  reason: OpenReason;
  /** Holiday name (or its date if unnamed) when reason is 'holiday'. */
  holiday?: string;
  /** Instant of the next open ↔ closed change; undefined when the state never changes again. */
  until?: number;
}

interface Shift {
  start: number;
  end: number;
  holiday?: string;
}

interface HolidayDay {
  name: string;
  hours: Interval[];
}

function holidayIndex(schedule: Schedule): Map<number, HolidayDay> {
  const m = new Map<number, HolidayDay>();
  for (const h of schedule.holidays) {
    const day = dayNumberOf(h.date);
    if (day !== undefined) m.set(day, { name: h.name ?? h.date, hours: h.hours ?? [] });
  }
  return m;
}

/** Shifts opening on local day `day`, as instants; empty ones (inside a DST gap) dropped. */
function shiftsOf(schedule: Schedule, holidays: Map<number, HolidayDay>, day: number): Shift[] {
  const hol = holidays.get(day);
  const hours = hol ? hol.hours : schedule.weekly[weekdayOf(day)];
  const out: Shift[] = [];
  for (const iv of hours) {
    const wallStart = day * DAY_MS + minutesOf(iv.open) * MINUTE_MS;
    const start = instantOfWall(schedule.timeZone, wallStart);
    const end = instantOfWall(schedule.timeZone, wallStart + intervalMinutes(iv) * MINUTE_MS);
    if (end > start) out.push(hol ? { start, end, holiday: hol.name } : { start, end });
  }
  return out;
}

function localDay(schedule: Schedule, instantMs: number): number {
  return Math.floor(wallOf(schedule.timeZone, instantMs) / DAY_MS);
}

export function isOpen(schedule: Schedule, instantMs: number): OpenState {
  const holidays = holidayIndex(schedule);
  const today = localDay(schedule, instantMs);
  // A shift lasts under two wall days, so only shifts opening from two days back can cover now.
  for (let d = today - 2; d <= today; d++) {
    for (const s of shiftsOf(schedule, holidays, d)) {
      if (s.start <= instantMs && instantMs < s.end) {
        const until = nextChange(schedule, instantMs);
        const base: OpenState = s.holiday !== undefined ? { open: true, reason: 'holiday', holiday: s.holiday } : { open: true, reason: 'hours' };
        return until === undefined ? base : { ...base, until };
      }
    }
  }
  const hol = holidays.get(today);
  const until = nextChange(schedule, instantMs);
  const base: OpenState = hol ? { open: false, reason: 'holiday', holiday: hol.name } : { open: false, reason: 'closed' };
  return until === undefined ? base : { ...base, until };
}

/**
 * The first instant after `instantMs` at which open ↔ closed flips, or undefined if it never
 * does (24/7, or never open). Past the last holiday the week repeats, so a search that reaches
 * a week beyond both now and the last holiday without a change has proven there is none.
 */
export function nextChange(schedule: Schedule, instantMs: number): number | undefined {
  const holidays = holidayIndex(schedule);
  const today = localDay(schedule, instantMs);
  let lastDay = today;
  for (const d of holidays.keys()) lastDay = Math.max(lastDay, d);
  const limit = lastDay + 16;

  const first = today - 2;
  const shifts: Shift[] = [];
  let generatedTo = first - 1;
  let horizonDays = 9;
  for (;;) {
    const upTo = Math.min(limit, first + horizonDays);
    for (let d = generatedTo + 1; d <= upTo; d++) shifts.push(...shiftsOf(schedule, holidays, d));
    generatedTo = upTo;
    // Any shift of a later day opens at or after this instant, so answers before it are final.
    const horizon = instantOfWall(schedule.timeZone, (generatedTo + 1) * DAY_MS);
    const answer = firstChange(shifts, instantMs);
    if (answer !== undefined && answer < horizon) return answer;
    if (generatedTo >= limit) return undefined;
    horizonDays *= 2;
  }
}

/** On shifts merged into maximal open runs: the end of the run holding t, else the next start. */
function firstChange(shifts: Shift[], t: number): number | undefined {
  const sorted = [...shifts].sort((a, b) => a.start - b.start);
  let runStart: number | undefined;
  let runEnd = -Infinity;
  for (const s of sorted) {
    if (runStart !== undefined && s.start <= runEnd) {
      runEnd = Math.max(runEnd, s.end);
      continue;
    }
    if (runStart !== undefined) {
      const r = changeIn(runStart, runEnd, t);
      if (r !== undefined) return r;
    }
    runStart = s.start;
    runEnd = s.end;
  }
  return runStart === undefined ? undefined : changeIn(runStart, runEnd, t);
}

function changeIn(start: number, end: number, t: number): number | undefined {
  if (t < start) return start;
  if (t < end) return end;
  return undefined;
}
