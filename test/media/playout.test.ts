import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock, type Clock } from '../../src/clock.ts';
import { PlayoutLoop } from '../../src/media/playout.ts';

/** A ManualClock whose timers fire late by whatever `lateBy()` says (timers never fire early). */
function lateClock(base: ManualClock, lateBy: () => number): Clock {
  return {
    now: () => base.now(),
    wallNow: () => base.wallNow(),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms + lateBy()),
    clearTimeout: (h) => base.clearTimeout(h),
  };
}

describe('PlayoutLoop', () => {
  test('runs every slot of every period in order, at t0 + k·period/slots', () => {
    const clock = new ManualClock(1000);
    const runs: Array<[number, number, number]> = [];
    const loop = new PlayoutLoop(clock, (slot, period) => runs.push([slot, period, clock.now()]), { slots: 4, earlyMs: 0 });
    loop.start();
    clock.advance(40);
    loop.stop();
    assert.deepEqual(
      runs.map(([s, p]) => [s, p]),
      [[0, 0], [1, 0], [2, 0], [3, 0], [0, 1], [1, 1], [2, 1], [3, 1], [0, 2]],
    );
    assert.deepEqual(runs.map(([, , t]) => t - 1000), [0, 5, 10, 15, 20, 25, 30, 35, 40]);
    assert.equal(loop.dueAt(2, 1), 1030);
    clock.advance(100);
    assert.equal(runs.length, 9, 'stopped loops stay stopped');
  });

  test('property: late timers never accumulate — after T ms exactly floor(T/slot)+1 slots ran, each within the timer error of its due time', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 4, noNaN: true }), { minLength: 1, maxLength: 50 }), (jitters) => {
        const base = new ManualClock(0);
        let i = 0;
        const clock = lateClock(base, () => jitters[i++ % jitters.length]!);
        const times: number[] = [];
        const loop = new PlayoutLoop(clock, () => times.push(base.now()), { slots: 4, earlyMs: 0.5 });
        loop.start();
        base.advance(10_000);
        loop.stop();
        // Every slot-tick due by 10 s ran (late ones by at most the timer error) ...
        assert.ok(times.length >= 2000 && times.length <= 2001, `ran ${times.length}`);
        // ... and each ran no earlier than earlyMs before its due time, no later than 4 ms + a tick after it.
        times.forEach((t, k) => {
          const due = k * 5;
          assert.ok(t >= due - 0.5 - 1e-9 && t <= due + 4.5, `slot-tick ${k} ran at ${t}, due ${due}`);
        });
      }),
      { numRuns: 30 },
    );
  });

  test('a short stall is caught up at once; a long one resyncs and skips instead of bursting', () => {
    const base = new ManualClock(0);
    let stall = 0;
    const clock = lateClock(base, () => {
      const s = stall;
      stall = 0;
      return s;
    });
    const periods: number[] = [];
    const loop = new PlayoutLoop(clock, (slot, period) => slot === 0 && periods.push(period), { slots: 1, earlyMs: 0, maxCatchUpPeriods: 3 });
    loop.start(); // period 0 at t=0
    base.advance(40); // periods 1, 2
    stall = 50; // the next wake-up comes 50 ms late: periods 3..5 are overdue
    base.advance(100);
    assert.deepEqual(periods.slice(0, 8), [0, 1, 2, 3, 4, 5, 6, 7], 'caught up without skipping');
    assert.equal(loop.stats().skipped, 0);
    const before = periods.length;
    stall = 500; // 25 periods late: more than maxCatchUpPeriods
    base.advance(700);
    const after = periods.slice(before);
    const jump = after.findIndex((p, i) => i > 0 && p !== after[i - 1]! + 1);
    assert.ok(jump > 0, `expected a jump in ${after.join(',')}`);
    assert.ok(after[jump]! - after[jump - 1]! > 20, 'skipped the stalled periods');
    const st = loop.stats();
    assert.equal(st.resyncs, 1);
    assert.ok(st.skipped > 20);
    loop.stop();
  });

  test('behind schedule, it runs at most one period of slot-ticks per turn and yields to I/O in between', () => {
    const base = new ManualClock(0);
    let stall = 0;
    const clock = lateClock(base, () => {
      const s = stall;
      stall = 0;
      return s;
    });
    const deferred: Array<() => void> = [];
    let runsSinceYield = 0;
    let maxRunsPerTurn = 0;
    const loop = new PlayoutLoop(
      clock,
      () => {
        runsSinceYield++;
        maxRunsPerTurn = Math.max(maxRunsPerTurn, runsSinceYield);
      },
      { slots: 4, earlyMs: 0, maxCatchUpPeriods: 3, defer: (fn) => deferred.push(fn) },
    );
    loop.start();
    stall = 55; // the wake-up due at 10 ms comes at 65 ms: 12 slot-ticks overdue
    base.advance(5);
    runsSinceYield = 0;
    base.advance(65);
    let turns = 0;
    while (deferred.length) {
      runsSinceYield = 0;
      deferred.shift()!();
      turns++;
    }
    assert.ok(turns >= 2, `yielded ${turns} times`);
    assert.equal(maxRunsPerTurn, 4);
    assert.equal(loop.stats().skipped, 0, 'caught up, nothing skipped');
    loop.stop();
  });

  test('nextPeriodFor tells a joining leg which period its slot runs next', () => {
    const clock = new ManualClock(0);
    const loop = new PlayoutLoop(clock, () => {}, { slots: 4, earlyMs: 0 });
    loop.start(); // ran (0,0); next is slot 1 of period 0
    assert.equal(loop.nextPeriodFor(0), 1);
    assert.equal(loop.nextPeriodFor(1), 0);
    assert.equal(loop.nextPeriodFor(3), 0);
    loop.stop();
  });

  test('stats: lateness percentiles come from the histogram', () => {
    const base = new ManualClock(0);
    const clock = lateClock(base, () => 2);
    const loop = new PlayoutLoop(clock, () => {}, { slots: 1, earlyMs: 0 });
    loop.start();
    base.advance(1000);
    loop.stop();
    const st = loop.stats();
    assert.ok(st.runs >= 49);
    assert.ok(Math.abs(st.latenessP99 - 2) <= 0.11, `p99 ${st.latenessP99}`);
    assert.ok(Math.abs(st.latenessMax - 2) < 1e-9);
  });
});
