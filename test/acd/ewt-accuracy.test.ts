/**
 * EWT accuracy under a synthetic load (issue 4, Tests): a seeded discrete-event simulation of
 * one FIFO queue (Poisson arrivals, exponential handle times). Every caller who has to wait is
 * told an EWT by the estimator the live engine uses (estimateWaitMs over the queue's recent
 * handle times and staffed agents, falling back to servedPerSecond's 15-minute answer rate, as
 * src/acd/live/queue-engine.ts calls it), by the answer rate alone, and by a static average
 * (position × the configured AHT / agents); the test reports the three mean absolute errors
 * against the waits callers really had and holds the engine's to a bound and below the others.
 * Two loads: an outage that lengthens every call (handle time 180 s → 240 s after two hours),
 * and the live drill's shape (bench/acd-drill.ts): agents mostly idle, then a 10× step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateWaitMs, recentHandleMs, servedPerSecond } from '../../src/acd/ewt.ts';

interface Load {
  agents: number;
  /** Arrivals per second at time t. */
  lambdaAt: (t: number) => number;
  /** Mean handle time (talk + wrap-up) of a call starting at t. */
  ahtAt: (t: number) => number;
  configuredAht: number;
  end: number;
  /** Callers arriving before this are not scored. */
  warmUp: number;
}

interface Waiter {
  arrivedAt: number;
  live: number;
  rate: number;
  static: number;
}

interface Errors {
  live: number;
  rate: number;
  static: number;
  meanWait: number;
  n: number;
}

function simulate(seed: number, load: Load): Errors {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return (s + 1) / 0x80000000;
  };
  const exp = (mean: number): number => -Math.log(rand()) * mean;
  const { agents: AGENTS, ahtAt, configuredAht: CONFIGURED_AHT, end: END, warmUp: WARM_UP } = load;

  const answeredAt: number[] = [];
  const handled: number[] = []; // handle times of completed calls, in completion order
  const busy: { until: number; handle: number }[] = []; // busy agents (unsorted, small)
  const queue: Waiter[] = [];
  const errors = { live: 0, rate: 0, static: 0, wait: 0, n: 0 };
  let nextArrival = exp(1000 / load.lambdaAt(0));

  const startService = (now: number, w?: Waiter): void => {
    answeredAt.push(now);
    const handle = exp(ahtAt(now));
    busy.push({ until: now + handle, handle });
    if (w && w.arrivedAt >= WARM_UP) {
      const actual = now - w.arrivedAt;
      errors.live += Math.abs(w.live - actual);
      errors.rate += Math.abs(w.rate - actual);
      errors.static += Math.abs(w.static - actual);
      errors.wait += actual;
      errors.n++;
    }
  };

  for (;;) {
    let first = -1;
    for (let i = 0; i < busy.length; i++) if (first < 0 || busy[i]!.until < busy[first]!.until) first = i;
    const nextDone = first >= 0 ? busy[first]!.until : Infinity;
    const now = Math.min(nextArrival, nextDone);
    if (now > END) break;
    if (now === nextDone) {
      handled.push(busy[first]!.handle);
      busy.splice(first, 1);
      const w = queue.shift();
      if (w) startService(now, w);
      continue;
    }
    nextArrival = now + exp(1000 / load.lambdaAt(now));
    if (busy.length < AGENTS) {
      startService(now);
      continue;
    }
    const position = queue.length + 1;
    const served = servedPerSecond(answeredAt, now, undefined, 0);
    const live = estimateWaitMs({ position, handleMs: recentHandleMs(handled), servedPerSecond: served, agentsStaffed: AGENTS, ahtMs: CONFIGURED_AHT, now }) ?? 0;
    const rate = estimateWaitMs({ position, servedPerSecond: served, agentsStaffed: AGENTS, ahtMs: CONFIGURED_AHT, now }) ?? 0;
    queue.push({ arrivedAt: now, live, rate, static: (position * CONFIGURED_AHT) / AGENTS });
  }
  return { live: errors.live / errors.n, rate: errors.rate / errors.n, static: errors.static / errors.n, meanWait: errors.wait / errors.n, n: errors.n };
}

const pct = (x: number, of: number): string => `${((100 * x) / of).toFixed(0)} %`;

function report(t: { diagnostic(m: string): void }, seed: number, r: Errors): void {
  t.diagnostic(
    `seed ${seed}: ${r.n} callers waited, mean wait ${(r.meanWait / 1000).toFixed(0)} s; MAE engine ${(r.live / 1000).toFixed(0)} s (${pct(r.live, r.meanWait)}), ` +
      `answer rate alone ${(r.rate / 1000).toFixed(0)} s (${pct(r.rate, r.meanWait)}), static ${(r.static / 1000).toFixed(0)} s (${pct(r.static, r.meanWait)})`,
  );
}

const OUTAGE: Load = {
  agents: 20,
  lambdaAt: () => 0.1, // 360 calls an hour
  ahtAt: (t) => (t < 2 * 3_600_000 ? 180_000 : 240_000),
  configuredAht: 180_000,
  end: 4 * 3_600_000,
  warmUp: 15 * 60_000,
};

/** The drill's shape: 20 agents, 22 s per call, 0.25 calls/s, 2.5 calls/s for a minute at t = 10 min. */
const STEP: Load = {
  agents: 20,
  lambdaAt: (t) => (t >= 600_000 && t < 660_000 ? 2.5 : 0.25),
  ahtAt: () => 22_000,
  configuredAht: 180_000,
  end: 20 * 60_000,
  warmUp: 0,
};

test('EWT through an outage that lengthens calls: mean absolute error against the real waits', (t) => {
  for (const seed of [11, 23, 47]) {
    const r = simulate(seed, OUTAGE);
    report(t, seed, r);
    assert.ok(r.n > 300, 'enough callers waited to measure');
    assert.ok(r.live < r.static, `seed ${seed}: the engine beats the static average`);
    assert.ok(r.live / r.meanWait < 0.25, `seed ${seed}: engine MAE within 25 % of the mean wait (${pct(r.live, r.meanWait)})`);
  }
});

test('EWT through a 10× step after idle minutes (the live drill): handle times, not the idle answer rate', (t) => {
  // Issue 4's drill target is a 20 % mean absolute error. One seeded run has only 100–170
  // waiting callers with a mean wait under a minute, so the error of a single run scatters
  // (8–24 % over these seeds): the target holds on their mean, each run within 30 %.
  const shares: number[] = [];
  for (const seed of [5, 17, 29, 41, 53, 67, 79, 97]) {
    const r = simulate(seed, STEP);
    report(t, seed, r);
    assert.ok(r.n > 50, 'enough callers waited to measure');
    assert.ok(r.live < r.rate / 2, `seed ${seed}: the engine at least halves the answer rate's error`);
    assert.ok(r.live / r.meanWait < 0.3, `seed ${seed}: engine MAE within 30 % of the mean wait (${pct(r.live, r.meanWait)})`);
    shares.push(r.live / r.meanWait);
  }
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  t.diagnostic(`mean engine MAE over the seeds: ${(100 * mean).toFixed(1)} %`);
  assert.ok(mean < 0.2, `mean engine MAE within 20 % (${(100 * mean).toFixed(1)} %)`);
});
