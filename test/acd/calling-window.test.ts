import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { callbackSlots, inCallingWindow, slotText, spokenDay, type CallingWindows } from '../../src/acd/calling-window.ts';

const TPE = 'Asia/Taipei';
/** 2026-11-24 (Tuesday) at hh:mm in Taipei (UTC+8, no DST). */
const tpe = (day: number, hh: number, mm = 0): number => Date.UTC(2026, 10, day, hh - 8, mm);
const WEEKDAYS_9_18: CallingWindows = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:00', close: '18:00' }];

test('inCallingWindow: open inclusive, close exclusive, days in the zone', () => {
  assert.equal(inCallingWindow(WEEKDAYS_9_18, tpe(24, 9), TPE), true);
  assert.equal(inCallingWindow(WEEKDAYS_9_18, tpe(24, 8, 59), TPE), false);
  assert.equal(inCallingWindow(WEEKDAYS_9_18, tpe(24, 17, 59), TPE), true);
  assert.equal(inCallingWindow(WEEKDAYS_9_18, tpe(24, 18), TPE), false);
  // The zone decides the day: Saturday 03:00 in Taipei is Friday 11:00 in Los Angeles.
  assert.equal(inCallingWindow(WEEKDAYS_9_18, tpe(28, 3), TPE), false);
  assert.equal(inCallingWindow(WEEKDAYS_9_18, tpe(28, 3), 'America/Los_Angeles'), true);
});

test('slots: aligned to the hour, after the lead time, inside the window, rolling to the next open day', () => {
  // Tuesday 16:20: lead 30 min → the first aligned start is 17:00 (16:50 rounded up); 17:00-18:00 fits.
  const slots = callbackSlots(WEEKDAYS_9_18, TPE, tpe(24, 16, 20), { count: 3, minutes: 60, leadMinutes: 30 });
  assert.deepEqual(slots, [
    { start: tpe(24, 17), end: tpe(24, 18) },
    { start: tpe(25, 9), end: tpe(25, 10) },
    { start: tpe(25, 10), end: tpe(25, 11) },
  ]);
  assert.deepEqual(slots.map((s) => slotText(s, tpe(24, 16, 20), TPE)), ['今天下午5點到晚上6點', '明天上午9點到上午10點', '明天上午10點到上午11點']);
  // Friday 17:30 with 30-minute slots: nothing left today, Monday is three days on.
  const fri = callbackSlots(WEEKDAYS_9_18, TPE, tpe(27, 17, 30), { count: 2, minutes: 30, leadMinutes: 15 });
  assert.deepEqual(fri, [
    { start: tpe(30, 9), end: tpe(30, 9, 30) },
    { start: tpe(30, 9, 30), end: tpe(30, 10) },
  ]);
  assert.equal(spokenDay(fri[0]!.start, tpe(27, 17, 30), TPE), '11月30日(週一)');
});

test('slots: none when the windows never open; a half-hour zone aligns on its own wall clock', () => {
  assert.deepEqual(callbackSlots([{ days: ['sun'], open: '00:00', close: '00:30' }], TPE, tpe(24, 12), { count: 1, minutes: 60, leadMinutes: 0 }), []);
  const kolkata = callbackSlots([{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '09:00', close: '21:00' }], 'Asia/Kolkata', Date.UTC(2026, 10, 24, 5, 0), { count: 1, minutes: 60, leadMinutes: 0 });
  // 05:00 UTC is 10:30 in Kolkata: the next whole hour there is 11:00 = 05:30 UTC.
  assert.deepEqual(kolkata, [{ start: Date.UTC(2026, 10, 24, 5, 30), end: Date.UTC(2026, 10, 24, 6, 30) }]);
});

test('property: every slot is inside the windows, after the lead, aligned, increasing, at most count', () => {
  const windowArb = fc.record({
    days: fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, { minLength: 1 }),
    open: fc.integer({ min: 0, max: 22 }).map((h) => `${String(h).padStart(2, '0')}:00`),
    hours: fc.integer({ min: 1, max: 12 }),
  });
  fc.assert(
    fc.property(fc.array(windowArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 14 * 86_400_000 }), fc.constantFrom(15, 30, 60), fc.integer({ min: 0, max: 240 }), fc.integer({ min: 1, max: 9 }), (ws, off, minutes, lead, count) => {
      const windows: CallingWindows = ws.map((w) => {
        const close = Math.min(24, Number(w.open.slice(0, 2)) + w.hours);
        return { days: [...w.days], open: w.open, close: `${String(close).padStart(2, '0')}:00` };
      });
      const now = Date.UTC(2026, 0, 1) + off;
      const slots = callbackSlots(windows, TPE, now, { count, minutes, leadMinutes: lead });
      assert.ok(slots.length <= count);
      let prev = -Infinity;
      for (const s of slots) {
        assert.equal(s.end - s.start, minutes * 60_000);
        assert.ok(s.start >= now + lead * 60_000, 'after the lead time');
        assert.equal((s.start + 8 * 3_600_000) % (minutes * 60_000), 0, 'aligned on the Taipei wall clock');
        assert.ok(inCallingWindow(windows, s.start, TPE) && inCallingWindow(windows, s.end - 60_000, TPE), 'inside a window');
        assert.ok(s.start >= prev + minutes * 60_000, 'increasing, not overlapping');
        prev = s.start;
      }
    }),
    { numRuns: 300 },
  );
});
