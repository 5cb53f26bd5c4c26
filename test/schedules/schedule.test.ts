import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule, safeParseSchedule, dayNumberOf, weekdayOf } from '../../src/schedules/schedule.ts';

const empty = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };

function errorsOf(input: unknown): string[] {
  const r = safeParseSchedule(input);
  assert.equal(r.ok, false, 'expected the schedule to be rejected');
  return r.ok ? [] : r.errors;
}

function hasError(errors: string[], path: string, fragment: string): void {
  assert.ok(
    errors.some((e) => e.startsWith(`${path}: `) && e.includes(fragment)),
    `no error at ${path} containing "${fragment}" in:\n${errors.join('\n')}`,
  );
}

describe('schedule validation', () => {
  test('a valid schedule parses; holidays default to none; adjacent intervals are fine', () => {
    const s = parseSchedule({
      timeZone: 'Asia/Taipei',
      weekly: { ...empty, mon: [{ open: '09:00', close: '12:00' }, { open: '12:00', close: '18:00' }], fri: [{ open: '18:00', close: '02:00' }], sat: [{ open: '02:00', close: '24:00' }] },
    });
    assert.deepEqual(s.holidays, []);
    assert.equal(s.weekly.mon.length, 2);
  });

  test('bad times name the field', () => {
    const errors = errorsOf({
      timeZone: 'Asia/Taipei',
      weekly: { ...empty, mon: [{ open: '9:00', close: '18:00' }], tue: [{ open: '24:00', close: '02:00' }], wed: [{ open: '08:00', close: '24:01' }], thu: [{ open: '23:60', close: '23:00' }] },
    });
    hasError(errors, 'weekly.mon.0.open', 'HH:MM');
    hasError(errors, 'weekly.tue.0.open', '00:00 and 23:59');
    hasError(errors, 'weekly.wed.0.close', '00:00 and 24:00');
    hasError(errors, 'weekly.thu.0.open', 'HH:MM');
  });

  test('an empty interval (open = close) is rejected with a hint', () => {
    hasError(errorsOf({ timeZone: 'Asia/Taipei', weekly: { ...empty, mon: [{ open: '09:00', close: '09:00' }] } }), 'weekly.mon.0.close', '00:00–24:00');
  });

  test('overlapping intervals on one day', () => {
    hasError(
      errorsOf({ timeZone: 'Asia/Taipei', weekly: { ...empty, mon: [{ open: '09:00', close: '12:00' }, { open: '11:59', close: '13:00' }] } }),
      'weekly.mon.1',
      'overlaps weekly.mon.0',
    );
  });

  test('a past-midnight shift overlapping the next morning, including sunday into monday', () => {
    hasError(
      errorsOf({ timeZone: 'Asia/Taipei', weekly: { ...empty, fri: [{ open: '18:00', close: '02:00' }], sat: [{ open: '01:00', close: '03:00' }] } }),
      'weekly.sat.0',
      'overlaps weekly.fri.0',
    );
    hasError(
      errorsOf({ timeZone: 'Asia/Taipei', weekly: { ...empty, sun: [{ open: '22:00', close: '06:00' }], mon: [{ open: '05:00', close: '09:00' }] } }),
      'weekly.mon.0',
      'overlaps weekly.sun.0',
    );
  });

  test('unknown time zone', () => {
    hasError(errorsOf({ timeZone: 'Asia/Taipie', weekly: empty }), 'timeZone', 'unknown time zone "Asia/Taipie"');
    hasError(errorsOf({ timeZone: '', weekly: empty }), 'timeZone', 'unknown time zone');
  });

  test('holidays: non-dates, duplicates, and special hours colliding with the previous night', () => {
    const errors = errorsOf({
      timeZone: 'Asia/Taipei',
      weekly: { ...empty, thu: [{ open: '20:00', close: '03:00' }] },
      holidays: [
        { date: '2026-02-29' },
        { date: '2026-13-01' },
        { date: '2026-12-25', name: '聖誕節', hours: [{ open: '02:00', close: '05:00' }] },
        { date: '2026-12-25' },
      ],
    });
    hasError(errors, 'holidays.0.date', 'calendar date');
    hasError(errors, 'holidays.1.date', 'calendar date');
    hasError(errors, 'holidays.3.date', 'duplicate holiday 2026-12-25');
    // 2026-12-24 is a Thursday: its 20:00–03:00 shift runs into the holiday's 02:00 opening.
    hasError(errors, 'holidays.2.hours', 'overlaps weekly.thu.0');
  });

  test('unknown keys and missing weekdays are rejected', () => {
    hasError(errorsOf({ timeZone: 'Asia/Taipei', weekly: { ...empty, holiday: [] } }), 'weekly', 'holiday');
    const { sun: _sun, ...noSunday } = empty;
    hasError(errorsOf({ timeZone: 'Asia/Taipei', weekly: noSunday }), 'weekly.sun', '');
  });

  test('parseSchedule throws one message listing every problem', () => {
    assert.throws(
      () => parseSchedule({ timeZone: 'Nowhere/City', weekly: { ...empty, mon: [{ open: '25:00', close: '10:00' }] } }),
      (e: Error) => e.message.includes('timeZone: unknown time zone') && e.message.includes('weekly.mon.0.open:'),
    );
  });

  test('calendar helpers', () => {
    assert.equal(dayNumberOf('1970-01-01'), 0);
    assert.equal(weekdayOf(0), 'thu');
    assert.equal(weekdayOf(dayNumberOf('2026-11-23') as number), 'mon');
    assert.equal(weekdayOf(-1), 'wed');
    assert.equal(dayNumberOf('2024-02-29'), 19782);
    assert.equal(dayNumberOf('2026-2-01'), undefined);
  });
});
