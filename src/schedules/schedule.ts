/**
 * A line's opening hours as plain data: weekly hours in one IANA time zone plus dated holidays
 * that replace the weekly hours of their local date. Parse with parseSchedule(); evaluate with
 * isOpen()/nextChange() in evaluate.ts.
 */
import { z } from 'zod';
import { DAY_MS, isValidTimeZone } from './zone.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Local wall-clock hours. close '24:00' is the end of the day; close < open runs past midnight. */
export interface Interval {
  open: string;
  close: string;
}

export interface Holiday {
  /** Local date in the schedule's zone, YYYY-MM-DD. */
  date: string;
  name?: string;
  /** Special hours for the date; empty or absent means closed all day. */
  hours?: Interval[];
}

export interface Schedule {
  timeZone: string;
  weekly: Record<Weekday, Interval[]>;
  holidays: Holiday[];
}

const OPEN_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
const CLOSE_RE = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes after local midnight of 'HH:MM' (24:00 → 1440). Input must already be valid. */
export function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Length of an interval in wall-clock minutes; close ≤ open wraps into the next day. */
export function intervalMinutes(iv: Interval): number {
  const open = minutesOf(iv.open);
  const close = minutesOf(iv.close);
  return close > open ? close - open : close + 1440 - open;
}

/** Days since 1970-01-01 of a YYYY-MM-DD date, or undefined if it is not a calendar date. */
export function dayNumberOf(date: string): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

/** Weekday of a day number (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): Weekday {
  return WEEKDAYS[(((day + 3) % 7) + 7) % 7] as Weekday;
}

const intervalSchema = z
  .object({
    open: z.string().regex(OPEN_RE, 'open must be HH:MM between 00:00 and 23:59'),
    close: z.string().regex(CLOSE_RE, 'close must be HH:MM between 00:00 and 24:00'),
  })
  .strict()
  .refine((iv) => iv.open !== iv.close, {
    message: 'open and close are equal: an interval cannot be empty (for a whole day use 00:00–24:00)',
    path: ['close'],
  });

const dayHours = z.array(intervalSchema);

const holidaySchema = z
  .object({
    date: z.string().refine((d) => dayNumberOf(d) !== undefined, 'date must be a calendar date YYYY-MM-DD'),
    name: z.string().min(1).optional(),
    hours: dayHours.optional(),
  })
  .strict();

interface Span {
  start: number;
  end: number;
  path: (string | number)[];
}

/** Half-open spans [start, end) in minutes; reports each pair that overlaps. */
function overlaps(spans: Span[]): [Span, Span][] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const found: [Span, Span][] = [];
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as Span;
    const cur = sorted[i] as Span;
    if (cur.start < prev.end) found.push([prev, cur]);
  }
  return found;
}

function spansOfDay(hours: Interval[], dayOffset: number, path: (string | number)[]): Span[] {
  return hours.map((iv, i) => {
    const start = dayOffset * 1440 + minutesOf(iv.open);
    return { start, end: start + intervalMinutes(iv), path: [...path, i] };
  });
}

const describe = (s: Span): string => s.path.join('.');

export const scheduleSchema = z
  .object({
    timeZone: z.string().superRefine((tz, ctx) => {
      if (!isValidTimeZone(tz)) ctx.addIssue({ code: 'custom', message: `unknown time zone "${tz}" (use an IANA name such as Asia/Taipei)` });
    }),
    weekly: z
      .object({ mon: dayHours, tue: dayHours, wed: dayHours, thu: dayHours, fri: dayHours, sat: dayHours, sun: dayHours })
      .strict(),
    holidays: z.array(holidaySchema).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    // Weekly hours repeat, so lay them on a circular week: sun's late shift meets mon's morning.
    const week: Span[] = WEEKDAYS.flatMap((d, i) => spansOfDay(s.weekly[d], i, ['weekly', d]));
    const wrapped = week.map((sp) => ({ ...sp, start: sp.start + 7 * 1440, end: sp.end + 7 * 1440 }));
    for (const [a, b] of overlaps([...week, ...wrapped])) {
      if (a.start >= 7 * 1440 && b.start >= 7 * 1440) continue; // same pair seen in the first copy
      ctx.addIssue({ code: 'custom', path: b.path, message: `overlaps ${describe(a)}` });
    }

    const byDay = new Map<number, { h: Holiday; i: number }>();
    s.holidays.forEach((h, i) => {
      const day = dayNumberOf(h.date);
      if (day === undefined) return;
      const dup = byDay.get(day);
      if (dup) {
        ctx.addIssue({ code: 'custom', path: ['holidays', i, 'date'], message: `duplicate holiday ${h.date} (also holidays.${dup.i})` });
        return;
      }
      byDay.set(day, { h, i });
    });
    // A holiday's hours, and the shifts spilling into or out of it, must not collide with the neighbours.
    const hoursOn = (day: number): [Interval[], (string | number)[]] => {
      const hol = byDay.get(day);
      if (hol) return [hol.h.hours ?? [], ['holidays', hol.i, 'hours']];
      const wd = weekdayOf(day);
      return [s.weekly[wd], ['weekly', wd]];
    };
    const reported = new Set<string>();
    for (const [day, { i }] of byDay) {
      const spans = [day - 1, day, day + 1].flatMap((d, k) => {
        const [hours, path] = hoursOn(d);
        return spansOfDay(hours, k, path);
      });
      for (const [a, b] of overlaps(spans)) {
        const key = `${describe(a)}|${describe(b)}`;
        if (reported.has(key) || (a.path[0] !== 'holidays' && b.path[0] !== 'holidays')) continue;
        reported.add(key);
        ctx.addIssue({ code: 'custom', path: ['holidays', i, 'hours'], message: `${describe(b)} overlaps ${describe(a)} around ${s.holidays[i]?.date}` });
      }
    }
  });

/** Validated schedule or Error listing every problem as `path: message`. */
export function parseSchedule(input: unknown): Schedule {
  const r = scheduleSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(schedule)'}: ${i.message}`);
    throw new Error(`invalid schedule:\n  ${lines.join('\n  ')}`);
  }
  return r.data as Schedule;
}

export function safeParseSchedule(input: unknown): { ok: true; schedule: Schedule } | { ok: false; errors: string[] } {
  const r = scheduleSchema.safeParse(input);
  if (r.success) return { ok: true, schedule: r.data as Schedule };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}
