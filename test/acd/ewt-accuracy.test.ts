/**
 * EWT accuracy under a synthetic load (issue 4, Tests): a seeded discrete-event simulation of
 * one FIFO queue (Poisson arrivals, exponential handle times, 20 agents) whose handle time
 * jumps from 180 s to 240 s after two hours — an outage lengthens every call and the queue
 * surges. Every caller who has to wait is told an EWT by the estimator the live engine uses
 * (estimateWaitMs over servedPerSecond's 15-minute answer rate, as src/acd/live/queue-engine.ts
 * calls it) and by a static average (position × the configured 180 s AHT / agents); the test
 * reports both mean absolute errors against the waits callers really had, and holds the live
 * one to a bound and below the static one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateWaitMs, servedPerSecond } from '../../src/acd/ewt.ts';

interface Waiter {
  arrivedAt: number;
  live: number;
  static: number;
}

function simulate(seed: number): { live: number; static: number; meanWait: number; n: number } {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return (s + 1) / 0x80000000;
  };
  const exp = (mean: number): number => -Math.log(rand()) * mean;
  const AGENTS = 20;
  const LAMBDA = 0.1; // calls per second: 360 an hour
  const CONFIGURED_AHT = 180_000;
  const ahtAt = (t: number): number => (t < 2 * 3_600_000 ? 180_000 : 240_000);
  const END = 4 * 3_600_000;
  const WARM_UP = 15 * 60_000;

  const answeredAt: number[] = [];
  const busyUntil: number[] = []; // completion times of busy agents (unsorted, small)
  const queue: Waiter[] = [];
  const errors = { live: 0, static: 0, wait: 0, n: 0 };
  let nextArrival = exp(1000 / LAMBDA);

  const startService = (now: number, w?: Waiter): void => {
    answeredAt.push(now);
    busyUntil.push(now + exp(ahtAt(now)));
    if (w && w.arrivedAt >= WARM_UP) {
      const actual = now - w.arrivedAt;
      errors.live += Math.abs(w.live - actual);
      errors.static += Math.abs(w.static - actual);
      errors.wait += actual;
      errors.n++;
    }
  };

  for (;;) {
    const nextDone = busyUntil.length > 0 ? Math.min(...busyUntil) : Infinity;
    const now = Math.min(nextArrival, nextDone);
    if (now > END) break;
    if (now === nextDone) {
      busyUntil.splice(busyUntil.indexOf(nextDone), 1);
      const w = queue.shift();
      if (w) startService(now, w);
      continue;
    }
    nextArrival = now + exp(1000 / LAMBDA);
    if (busyUntil.length < AGENTS) {
      startService(now);
      continue;
    }
    const position = queue.length + 1;
    const rate = servedPerSecond(answeredAt, now, undefined, 0);
    const live = estimateWaitMs({ position, servedPerSecond: rate, agentsStaffed: AGENTS, ahtMs: CONFIGURED_AHT, now }) ?? 0;
    queue.push({ arrivedAt: now, live, static: (position * CONFIGURED_AHT) / AGENTS });
  }
  return { live: errors.live / errors.n, static: errors.static / errors.n, meanWait: errors.wait / errors.n, n: errors.n };
}

test('EWT from the live answer rate: mean absolute error against the real waits, through a surge', (t) => {
  const rows = [11, 23, 47].map((seed) => ({ seed, ...simulate(seed) }));
  for (const r of rows) {
    t.diagnostic(
      `seed ${r.seed}: ${r.n} callers waited, mean wait ${(r.meanWait / 1000).toFixed(0)} s; ` +
        `MAE live ${(r.live / 1000).toFixed(0)} s (${((100 * r.live) / r.meanWait).toFixed(0)} %), ` +
        `static ${(r.static / 1000).toFixed(0)} s (${((100 * r.static) / r.meanWait).toFixed(0)} %)`,
    );
    assert.ok(r.n > 300, 'enough callers waited to measure');
    assert.ok(r.live < r.static, `seed ${r.seed}: the live rate beats the static average`);
    assert.ok(r.live / r.meanWait < 0.25, `seed ${r.seed}: live MAE within 25 % of the mean wait (${((100 * r.live) / r.meanWait).toFixed(1)} %)`);
  }
});
