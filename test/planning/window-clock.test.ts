/**
 * Calling windows in the simulator (window-clock.ts, simulate.ts with `clock`): when a queue's
 * window opens after a simulated instant, a callback booked at night waits for it, one offered
 * after the close waits for the next day, and a queue with no window gives callbacks up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueConfig } from '../../src/acd/queue-config.ts';
import { WindowClock } from '../../src/planning/sim/window-clock.ts';
import { simulate, type SimInput } from '../../src/planning/sim/simulate.ts';

const MIDNIGHT = Date.parse('2026-11-11T00:00:00+08:00'); // a Wednesday in Taipei
const H = 3_600_000;
const q = parseQueueConfig({ name: 'q', wrapUpSeconds: 0 }); // windows: every day 09:00-21:00
const odd = parseQueueConfig({ name: 'odd', callbacks: { windows: [{ days: ['wed'], open: '09:05', close: '09:20' }] } });
const sunday = parseQueueConfig({ name: 'sunday', callbacks: { windows: [{ days: ['sun'], open: '10:00', close: '11:00' }] } });

test('the next opening: the same minute when open, 09:00 from the night, 09:05 when a window opens off the quarter', () => {
  const clock = new WindowClock(MIDNIGHT, 'Asia/Taipei', new Map([['q', q], ['odd', odd], ['sunday', sunday]]));
  assert.equal(clock.nextOpen('q', 0.5 * H), 9 * H);
  assert.equal(clock.nextOpen('q', 10 * H + 123), 10 * H + 123, 'open now');
  assert.equal(clock.isOpen('q', 21 * H), false, 'the close is exclusive');
  assert.equal(clock.nextOpen('q', 21 * H), 33 * H, 'after the close: tomorrow 09:00');
  assert.equal(clock.nextOpen('odd', 0), 9 * H + 5 * 60_000);
  assert.equal(clock.nextOpen('odd', 9.5 * H), 7 * 24 * H + 9 * H + 5 * 60_000, 'next Wednesday');
  assert.equal(clock.nextOpen('sunday', 0), 4 * 24 * H + 10 * H, 'Sunday 10:00');
});

test('a callback booked at 00:30 is worked when the window opens at 09:00; without a clock at once', () => {
  const input: SimInput = {
    queues: [q],
    agents: [{ id: 'a1', skills: {} }],
    intervalMinutes: 30,
    calls: new Array<number>(48).fill(0),
    arrivals: [0.5 * H],
    entries: [{ ivr: 'callback', queue: 'q', weight: 1 }],
    ahtSeconds: 60,
    targetSeconds: 20,
    seed: 1,
  };
  const free = simulate(input);
  assert.equal(free.intervals[1]!.callbacksCompleted, 1);
  const windowed = simulate({ ...input, clock: { startMs: MIDNIGHT, timeZone: 'Asia/Taipei' } });
  assert.equal(windowed.intervals.findIndex((i) => i.callbacksCompleted > 0), 18, 'the 09:00 interval');
  assert.deepEqual(windowed.intervals.slice(1, 18).map((i) => i.callbackBacklog), new Array<number>(17).fill(1), 'backlog through the night');
  assert.ok(windowed.intervals.every((i) => i.waitingAtEnd === 0), 'a callback waiting for its window is no waiting caller');
});

test('a callback still queued when the window closes waits for the next day; a queue with no window gives it up', () => {
  // Booked at 20:55 while nobody is on; the agent comes on at 21:10, after the close: it is placed tomorrow at 09:00.
  const input: SimInput = {
    queues: [q],
    agents: [{ id: 'a1', skills: {}, shifts: [{ from: 21 * H + 10 * 60_000, to: Infinity }] }],
    intervalMinutes: 60,
    calls: new Array<number>(24).fill(0),
    arrivals: [20 * H + 55 * 60_000],
    entries: [{ ivr: 'callback', queue: 'q', weight: 1 }],
    ahtSeconds: 60,
    targetSeconds: 20,
    seed: 4,
    clock: { startMs: MIDNIGHT, timeZone: 'Asia/Taipei' },
  };
  const r = simulate(input);
  assert.equal(r.intervals[21]!.callbacksCompleted, 0, 'not placed at 21:10');
  assert.equal(r.intervals[21]!.callbackBacklog, 1);
  assert.equal(r.totals.callbacksCompleted, 1, 'placed the next morning (after the run: counted in its last interval)');
  assert.equal(simulate({ ...input, clock: undefined }).intervals[21]!.callbacksCompleted, 1, 'without calling windows at 21:10');
  const closed = parseQueueConfig({ name: 'closed', callbacks: { windows: [] } });
  const none = simulate({ ...input, queues: [closed], entries: [{ ivr: 'callback', queue: 'closed', weight: 1 }] });
  assert.deepEqual([none.totals.callbacksCreated, none.totals.callbacksFailed, none.totals.callbackBacklog], [1, 1, 0]);
});
