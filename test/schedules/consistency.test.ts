import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { safeParseSchedule, WEEKDAYS } from '../../src/schedules/schedule.ts';
import type { Interval, Schedule, Weekday } from '../../src/schedules/schedule.ts';
import { isOpen } from '../../src/schedules/evaluate.ts';
import { twentyFourSeven, weekdayOfficeHours, nightShift, restaurant } from '../../src/schedules/presets.ts';

const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Cuts open spans on a week of minutes into weekday intervals, keeping some as past-midnight shifts. */
function weeklyOf(bounds: number[]): Record<Weekday, Interval[]> {
  const weekly = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } as Record<Weekday, Interval[]>;
  for (let i = 0; i + 1 < bounds.length; i += 2) {
    let a = bounds[i] as number;
    const b = bounds[i + 1] as number;
    while (a < b) {
      const dayStart = Math.floor(a / 1440) * 1440;
      const day = WEEKDAYS[dayStart / 1440] as Weekday;
      if (b - a < 1440 && b > dayStart + 1440 && b % 1440 < a % 1440) {
        weekly[day].push({ open: hhmm(a - dayStart), close: hhmm(b % 1440) });
        break;
      }
      const end = Math.min(b, dayStart + 1440);
      weekly[day].push({ open: hhmm(a - dayStart), close: end - dayStart === 1440 ? '24:00' : hhmm(end - dayStart) });
      a = end;
    }
  }
  return weekly;
}

const zones = ['Asia/Taipei', 'Asia/Hong_Kong', 'America/New_York', 'Europe/London', 'Australia/Sydney'];

const minuteBounds = (max: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: max / 15 }), { maxLength: 8 }).map((xs) => {
    const sorted = xs.map((x) => x * 15).sort((a, b) => a - b);
    return sorted.length % 2 ? sorted.slice(0, -1) : sorted;
  });

const holidayArb = fc.record({
  day: fc.integer({ min: 0, max: 364 }),
  bounds: minuteBounds(1440),
  named: fc.boolean(),
});

const randomSchedule: fc.Arbitrary<Schedule | undefined> = fc
  .record({ zone: fc.constantFrom(...zones), bounds: minuteBounds(7 * 1440), holidays: fc.array(holidayArb, { maxLength: 3 }) })
  .map(({ zone, bounds, holidays }) => {
    const r = safeParseSchedule({
      timeZone: zone,
      weekly: weeklyOf(bounds),
      holidays: holidays.map((h, i) => ({
        date: new Date(Date.UTC(2026, 0, 1 + h.day)).toISOString().slice(0, 10),
        ...(h.named ? { name: `假日${i}` } : {}),
        hours: weeklyOf(h.bounds).mon,
      })),
    });
    return r.ok ? r.schedule : undefined; // duplicates / a night shift running into holiday hours
  });

const presetSchedule = fc.constantFrom(
  ...zones.flatMap((z) => [twentyFourSeven(z), weekdayOfficeHours(z), nightShift(z), restaurant(z)]),
);

const y2026 = Date.UTC(2026, 0, 1);
// Instants across 2026, and densely around New York's and Sydney's DST changes.
const instant = fc.oneof(
  fc.integer({ min: y2026 - 3 * 86_400_000, max: Date.UTC(2027, 0, 1) }),
  ...[Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 10, 1, 6), Date.UTC(2026, 3, 4, 16), Date.UTC(2026, 2, 29, 1)].map((c) =>
    fc.integer({ min: c - 2 * 86_400_000, max: c + 2 * 86_400_000 }),
  ),
);

function checkConsistent(s: Schedule, t: number, frac: number): void {
  const st = isOpen(s, t);
  if (st.until === undefined) {
    const later = t + Math.floor(frac * 60 * 86_400_000);
    assert.equal(isOpen(s, later).open, st.open, `no change announced, yet state differs at ${later}`);
    return;
  }
  assert.ok(st.until > t, 'until lies in the future');
  const mid = t + Math.floor(frac * (st.until - t - 1));
  assert.equal(isOpen(s, mid).open, st.open, `state changed at ${mid} before until ${st.until}`);
  assert.equal(isOpen(s, st.until - 1).open, st.open, 'state changed just before until');
  assert.notEqual(isOpen(s, st.until).open, st.open, 'state did not change at until');
}

test('random schedules: the state holds strictly before until and flips at until', () => {
  fc.assert(
    fc.property(randomSchedule, instant, fc.double({ min: 0, max: 1, noNaN: true }), (s, t, frac) => {
      fc.pre(s !== undefined);
      checkConsistent(s as Schedule, t, frac);
    }),
    { numRuns: 250 },
  );
});

test('presets in several zones: the state holds strictly before until and flips at until', () => {
  fc.assert(
    fc.property(presetSchedule, instant, fc.double({ min: 0, max: 1, noNaN: true }), (s, t, frac) => checkConsistent(s, t, frac)),
    { numRuns: 200 },
  );
});
