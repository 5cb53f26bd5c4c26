import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../../src/schedules/schedule.ts';
import type { Holiday, Interval, Schedule, Weekday } from '../../src/schedules/schedule.ts';
import { isOpen, nextChange } from '../../src/schedules/evaluate.ts';
import { twentyFourSeven, weekdayOfficeHours, nightShift, restaurant, RESTAURANT_AFTER_HOURS_MESSAGE, reopeningText, restaurantAfterHoursMessage } from '../../src/schedules/presets.ts';

const at = (iso: string): number => {
  const t = Date.parse(iso);
  assert.ok(!Number.isNaN(t), iso);
  return t;
};
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function sched(timeZone: string, days: Partial<Record<Weekday, Interval[]>>, holidays: Holiday[] = []): Schedule {
  return parseSchedule({ timeZone, weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [], ...days }, holidays });
}

function expectState(s: Schedule, when: string, open: boolean, until: string | undefined, reason?: string): void {
  const st = isOpen(s, at(when));
  assert.equal(st.open, open, `open at ${when}`);
  assert.equal(iso(st.until), until, `until at ${when}`);
  assert.equal(iso(nextChange(s, at(when))), until, `nextChange at ${when}`);
  if (reason) assert.equal(st.reason, reason, `reason at ${when}`);
}

// 2026-11-23 is a Monday. Taipei is UTC+8 all year.
describe('weekly hours in Asia/Taipei', () => {
  const office = weekdayOfficeHours();

  test('open is inclusive, close exclusive', () => {
    expectState(office, '2026-11-23T00:59:59.999Z', false, '2026-11-23T01:00:00.000Z', 'closed');
    expectState(office, '2026-11-23T01:00:00.000Z', true, '2026-11-23T10:00:00.000Z', 'hours');
    expectState(office, '2026-11-23T09:59:59.999Z', true, '2026-11-23T10:00:00.000Z');
    expectState(office, '2026-11-23T10:00:00.000Z', false, '2026-11-24T01:00:00.000Z', 'closed');
  });

  test('friday evening closes until monday morning', () => {
    expectState(office, '2026-11-27T10:00:00.000Z', false, '2026-11-30T01:00:00.000Z', 'closed');
  });

  test('the local date decides the weekday: Taipei is already monday at sunday 16:00 UTC', () => {
    const mondayMidnight = sched('Asia/Taipei', { mon: [{ open: '00:00', close: '01:00' }] });
    expectState(mondayMidnight, '2026-11-22T15:59:59.999Z', false, '2026-11-22T16:00:00.000Z');
    expectState(mondayMidnight, '2026-11-22T16:00:00.000Z', true, '2026-11-22T17:00:00.000Z');
    // UTC midnight is 08:00 in Taipei: closed, opens at 09:00 local.
    expectState(office, '2026-11-23T00:00:00.000Z', false, '2026-11-23T01:00:00.000Z');
  });

  test('zones without DST: Shanghai and Hong Kong are UTC+8 in summer and winter', () => {
    for (const tz of ['Asia/Shanghai', 'Asia/Hong_Kong']) {
      const s = weekdayOfficeHours(tz);
      expectState(s, '2026-07-06T01:00:00.000Z', true, '2026-07-06T10:00:00.000Z');
      expectState(s, '2026-01-05T00:59:00.000Z', false, '2026-01-05T01:00:00.000Z');
    }
  });
});

describe('midnight and past-midnight shifts', () => {
  test('fri 18:00–02:00 covers saturday 01:00 and closes at 02:00', () => {
    const s = sched('Asia/Taipei', { fri: [{ open: '18:00', close: '02:00' }] });
    // Sat 2026-11-28 01:00 Taipei = Fri 17:00 UTC.
    expectState(s, '2026-11-27T17:00:00.000Z', true, '2026-11-27T18:00:00.000Z', 'hours');
    expectState(s, '2026-11-27T18:00:00.000Z', false, '2026-12-04T10:00:00.000Z', 'closed');
  });

  test('sunday night runs into monday across the week boundary', () => {
    const s = sched('Asia/Taipei', { sun: [{ open: '22:00', close: '06:00' }] });
    // Mon 2026-11-23 05:00 Taipei = Sun 21:00 UTC.
    expectState(s, '2026-11-22T21:00:00.000Z', true, '2026-11-22T22:00:00.000Z');
  });

  test('back-to-back shifts across midnight are one open period', () => {
    const s = sched('Asia/Taipei', { mon: [{ open: '08:00', close: '24:00' }], tue: [{ open: '00:00', close: '06:00' }] });
    // Mon 23:59 Taipei: still open until Tue 06:00 Taipei (Mon 22:00 UTC).
    expectState(s, '2026-11-23T15:59:00.000Z', true, '2026-11-23T22:00:00.000Z');
    expectState(s, '2026-11-23T16:00:00.000Z', true, '2026-11-23T22:00:00.000Z');
  });

  test('close 24:00 ends at the next midnight', () => {
    const s = sched('Asia/Taipei', { wed: [{ open: '12:00', close: '24:00' }] });
    expectState(s, '2026-11-25T15:59:59.999Z', true, '2026-11-25T16:00:00.000Z');
    expectState(s, '2026-11-25T16:00:00.000Z', false, '2026-12-02T04:00:00.000Z');
  });

  test('night shift preset (20:00 to 08:00 next day)', () => {
    const s = nightShift();
    expectState(s, '2026-11-23T23:59:00.000Z', true, '2026-11-24T00:00:00.000Z');
    expectState(s, '2026-11-24T00:00:00.000Z', false, '2026-11-24T12:00:00.000Z');
  });
});

describe('24/7 and never open', () => {
  test('24/7 is open with no next change, also across New York DST', () => {
    for (const tz of ['Asia/Taipei', 'America/New_York']) {
      const s = twentyFourSeven(tz);
      for (const when of ['2026-03-08T06:59:00Z', '2026-03-08T07:00:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-23T00:00:00Z']) {
        const st = isOpen(s, at(when));
        assert.deepEqual(st, { open: true, reason: 'hours' }, `${tz} ${when}`);
      }
    }
  });

  test('24/7 with a closed holiday changes at the holiday', () => {
    const s = parseSchedule({ ...twentyFourSeven(), holidays: [{ date: '2027-02-06', name: '除夕' }] });
    const st = isOpen(s, at('2026-11-23T00:00:00Z'));
    assert.equal(st.open, true);
    assert.equal(iso(st.until), '2027-02-05T16:00:00.000Z');
    expectState(s, '2027-02-05T16:00:00.000Z', false, '2027-02-06T16:00:00.000Z', 'holiday');
  });

  test('a schedule with no hours is closed forever', () => {
    assert.deepEqual(isOpen(sched('Asia/Taipei', {}), at('2026-11-23T00:00:00Z')), { open: false, reason: 'closed' });
  });
});

describe('holidays', () => {
  const base = weekdayOfficeHours();
  // 2026-12-24 is a Thursday, 2026-12-25 a Friday.
  const s = parseSchedule({
    ...base,
    holidays: [
      { date: '2026-12-24', name: '平安夜', hours: [{ open: '09:00', close: '12:00' }] },
      { date: '2026-12-25', name: '行憲紀念日' },
    ],
  });

  test('a holiday on a weekday closes it all day; closes until the next working morning', () => {
    const st = isOpen(s, at('2026-12-25T02:00:00Z'));
    assert.equal(st.open, false);
    assert.equal(st.reason, 'holiday');
    assert.equal(st.holiday, '行憲紀念日');
    assert.equal(iso(st.until), '2026-12-28T01:00:00.000Z');
  });

  test('a holiday with special hours', () => {
    const open = isOpen(s, at('2026-12-24T03:00:00Z'));
    assert.deepEqual({ ...open, until: iso(open.until) }, { open: true, reason: 'holiday', holiday: '平安夜', until: '2026-12-24T04:00:00.000Z' });
    const after = isOpen(s, at('2026-12-24T04:00:00Z'));
    assert.deepEqual({ ...after, until: iso(after.until) }, { open: false, reason: 'holiday', holiday: '平安夜', until: '2026-12-28T01:00:00.000Z' });
  });

  test('the holiday is the local date, not the UTC date', () => {
    const ny = parseSchedule({ timeZone: 'Asia/Taipei', weekly: base.weekly, holidays: [{ date: '2026-01-01' }] });
    // 2025-12-31T16:30Z is 2026-01-01 00:30 in Taipei; unnamed holidays report their date.
    assert.deepEqual({ ...isOpen(ny, at('2025-12-31T16:30:00Z')), until: undefined }, { open: false, reason: 'holiday', holiday: '2026-01-01', until: undefined });
    assert.equal(isOpen(ny, at('2025-12-31T15:30:00Z')).reason, 'closed');
  });

  test("the previous night's shift runs on into a holiday", () => {
    // Tue 2026-11-24 is a holiday; Monday's 20:00–08:00 shift still ends at 08:00 Tuesday.
    const n = parseSchedule({ ...nightShift(), holidays: [{ date: '2026-11-24', name: '店休' }] });
    expectState(n, '2026-11-23T17:00:00.000Z', true, '2026-11-24T00:00:00.000Z', 'hours');
    // No shift opens on the holiday itself: next opening is Wednesday 20:00 Taipei.
    expectState(n, '2026-11-24T00:00:00.000Z', false, '2026-11-25T12:00:00.000Z', 'holiday');
  });
});

// America/New_York 2026: DST starts Sun 2026-03-08 02:00 EST → 03:00 EDT (07:00Z),
// ends Sun 2026-11-01 02:00 EDT → 01:00 EST (06:00Z).
describe('DST in America/New_York', () => {
  test('the same local hours move in UTC across the change', () => {
    const s = weekdayOfficeHours('America/New_York');
    expectState(s, '2026-03-06T14:00:00.000Z', true, '2026-03-06T23:00:00.000Z');
    expectState(s, '2026-03-09T13:00:00.000Z', true, '2026-03-09T22:00:00.000Z');
    expectState(s, '2026-11-02T14:00:00.000Z', true, '2026-11-02T23:00:00.000Z');
  });

  test('spring forward: a boundary in the skipped hour takes effect at the jump', () => {
    const opensInGap = sched('America/New_York', { sun: [{ open: '02:30', close: '05:00' }] });
    expectState(opensInGap, '2026-03-08T06:59:59.000Z', false, '2026-03-08T07:00:00.000Z');
    expectState(opensInGap, '2026-03-08T07:00:00.000Z', true, '2026-03-08T09:00:00.000Z');
    const closesInGap = sched('America/New_York', { sat: [{ open: '22:00', close: '02:30' }] });
    expectState(closesInGap, '2026-03-08T06:59:00.000Z', true, '2026-03-08T07:00:00.000Z');
    // 01:00–04:00 local lasts two real hours that night.
    const across = sched('America/New_York', { sun: [{ open: '01:00', close: '04:00' }] });
    expectState(across, '2026-03-08T06:00:00.000Z', true, '2026-03-08T08:00:00.000Z');
  });

  test('fall back: a boundary in the repeated hour takes effect at its first occurrence', () => {
    const closesInRepeat = sched('America/New_York', { sat: [{ open: '20:00', close: '01:30' }] });
    // 01:29 EDT (05:29Z) still open; closes at 01:30 EDT (05:30Z), stays closed through 01:30 EST.
    expectState(closesInRepeat, '2026-11-01T05:29:00.000Z', true, '2026-11-01T05:30:00.000Z');
    expectState(closesInRepeat, '2026-11-01T06:30:00.000Z', false, '2026-11-08T01:00:00.000Z');
    // 01:00–02:00 covers both passes through the 01:xx hour: 05:00Z to 07:00Z.
    const repeatedHour = sched('America/New_York', { sun: [{ open: '01:00', close: '02:00' }] });
    expectState(repeatedHour, '2026-11-01T05:00:00.000Z', true, '2026-11-01T07:00:00.000Z');
    expectState(repeatedHour, '2026-11-01T06:45:00.000Z', true, '2026-11-01T07:00:00.000Z');
    expectState(repeatedHour, '2026-11-01T07:00:00.000Z', false, '2026-11-08T06:00:00.000Z');
  });
});

describe('restaurant preset', () => {
  const r = restaurant();
  test('lunch and dinner, closed between and on mondays', () => {
    // Tue 2026-11-24 Taipei: lunch 03:30Z–06:00Z, dinner 09:30Z–13:30Z.
    expectState(r, '2026-11-24T03:30:00.000Z', true, '2026-11-24T06:00:00.000Z');
    expectState(r, '2026-11-24T06:00:00.000Z', false, '2026-11-24T09:30:00.000Z');
    expectState(r, '2026-11-24T13:30:00.000Z', false, '2026-11-25T03:30:00.000Z');
    expectState(r, '2026-11-23T04:00:00.000Z', false, '2026-11-24T03:30:00.000Z', 'closed');
  });
  test('the after-hours message says it is closed and when to call back', () => {
    for (const part of ['打烊', '11:30', '14:00', '17:30', '21:30', '周一公休', '来电']) assert.ok(RESTAURANT_AFTER_HOURS_MESSAGE.includes(part), part);
  });
});

describe('after-hours message with the time to call back', () => {
  const r = parseSchedule({ ...restaurant(), holidays: [{ date: '2026-12-25', name: '聖誕節' }] });
  test('between lunch and dinner, overnight, over the monday closure and a holiday', () => {
    // Tue 2026-11-24 15:00 Taipei.
    assert.equal(reopeningText(r, at('2026-11-24T07:00:00Z')), '今天 17:30');
    assert.equal(
      restaurantAfterHoursMessage(r, at('2026-11-24T07:00:00Z')),
      '您好,感谢您致电本餐厅。我们现在已经打烊,将于今天 17:30开始营业。订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!',
    );
    // Tue 22:00 → Wed lunch.
    assert.equal(reopeningText(r, at('2026-11-24T14:00:00Z')), '明天(周三)11:30');
    // Sun 22:00 (2026-11-29) → Tue (Monday is closed).
    assert.equal(reopeningText(r, at('2026-11-29T14:00:00Z')), '后天(周二)11:30');
    // Thu 2026-12-24 22:00 → Christmas closed → Sat 12-26, two days on.
    assert.equal(reopeningText(r, at('2026-12-24T14:00:00Z')), '后天(周六)11:30');
    // Mon 12:00 with Tue and Wed as holidays: three days on, so the date is spelled out.
    const closedLong = parseSchedule({ ...restaurant(), holidays: ['2026-11-24', '2026-11-25'].map((date) => ({ date })) });
    assert.equal(reopeningText(closedLong, at('2026-11-23T04:00:00Z')), '11月26日(周四)11:30');
  });
  test('no message while open; the fixed text when it never reopens', () => {
    assert.equal(restaurantAfterHoursMessage(r, at('2026-11-24T04:00:00Z')), undefined);
    assert.equal(restaurantAfterHoursMessage(sched('Asia/Taipei', {}), at('2026-11-24T04:00:00Z')), RESTAURANT_AFTER_HOURS_MESSAGE);
  });
});
