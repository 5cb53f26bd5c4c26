/**
 * The simulator against queueing theory where it applies (issue 5 tests): one queue, Poisson
 * arrivals, exponential handling, no wrap-up — the simulated service level and ASA match
 * Erlang C, and with exponential patience the abandon rate and service level match Erlang A,
 * within statistical tolerance (several seeds, long runs). Seeded runs repeat exactly; overflow
 * and max-wait targets act as they do live; bad input names what is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueConfig } from '../../src/acd/queue-config.ts';
import { erlangA, erlangC } from '../../src/planning/erlang.ts';
import { simulate, SimInputError, type SimInput } from '../../src/planning/sim/simulate.ts';
import { walkFlow } from '../../src/planning/sim/flow-walk.ts';
import { entriesOf } from '../../src/planning/sim/line-entries.ts';
import { flowSchema } from '../../src/flows/schema.ts';
import { egouDouble11Flow } from '../../src/flows/demo/egou.ts';
import { DEMO_QUEUES } from '../../src/demo/seed.ts';

const queue = parseQueueConfig({ name: 'q', wrapUpSeconds: 0 });
const agents = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `a${i}`, skills: {} }));

function run(o: { agents: number; load: number; aht: number; patience?: number; seeds: number[]; hours: number }) {
  const perHour = (o.load / o.aht) * 3600;
  const totals = o.seeds.map((seed) => {
    const input: SimInput = {
      queues: [queue],
      agents: agents(o.agents),
      intervalMinutes: 60,
      calls: new Array<number>(o.hours).fill(perHour),
      entries: [{ queue: 'q', weight: 1 }],
      ahtSeconds: o.aht,
      patienceSeconds: o.patience,
      targetSeconds: 20,
      seed,
    };
    return simulate(input).totals;
  });
  const sum = (f: (t: (typeof totals)[number]) => number): number => totals.reduce((s, t) => s + f(t), 0);
  return {
    offered: sum((t) => t.offered),
    sl: sum((t) => t.answeredWithinTarget) / sum((t) => t.offered),
    asa: sum((t) => (t.asaSeconds ?? 0) * t.answered) / sum((t) => t.answered),
    abandon: sum((t) => t.abandoned) / sum((t) => t.offered),
    occupancy: sum((t) => t.occupancy ?? 0) / totals.length,
  };
}

test('Erlang C: 8 Erlangs on 10 agents — simulated SL(20 s) and ASA match the formula', () => {
  const sim = run({ agents: 10, load: 8, aht: 180, seeds: [1, 2, 3, 4], hours: 240 });
  const theory = erlangC({ arrivalRate: 8 / 180, ahtSeconds: 180, agents: 10, targetSeconds: 20 });
  assert.ok(sim.offered > 150_000, `a long run: ${sim.offered} calls`);
  assert.ok(Math.abs(sim.sl - theory.serviceLevel) < 0.02, `SL ${sim.sl} vs ${theory.serviceLevel}`);
  assert.ok(Math.abs(sim.asa / theory.asa - 1) < 0.1, `ASA ${sim.asa} vs ${theory.asa}`);
  assert.ok(Math.abs(sim.occupancy - theory.occupancy) < 0.02, `occupancy ${sim.occupancy} vs ${theory.occupancy}`);
  assert.equal(sim.abandon, 0);
});

test('Erlang A: 10 Erlangs on 10 agents with 120 s patience — abandon rate and SL match the formula', () => {
  const sim = run({ agents: 10, load: 10, aht: 180, patience: 120, seeds: [5, 6, 7, 8], hours: 240 });
  const theory = erlangA({ arrivalRate: 10 / 180, ahtSeconds: 180, agents: 10, targetSeconds: 20, patienceSeconds: 120 });
  assert.ok(Math.abs(sim.abandon - theory.pAbandon!) < 0.01, `abandon ${sim.abandon} vs ${theory.pAbandon}`);
  assert.ok(Math.abs(sim.sl - theory.serviceLevel) < 0.02, `SL ${sim.sl} vs ${theory.serviceLevel}`);
  assert.ok(Math.abs(sim.asa / theory.asa - 1) < 0.1, `ASA ${sim.asa} vs ${theory.asa}`);
});

const small: SimInput = {
  queues: [parseQueueConfig({ name: 'orders', wrapUpSeconds: 10, overflow: [{ afterSeconds: 30, queue: 'returns' }] }), parseQueueConfig({ name: 'returns', maxWaitSeconds: 60, onMaxWait: { kind: 'callback' } })],
  agents: [
    { id: 'o1', skills: {}, groups: [] },
    { id: 'o2', skills: {}, shifts: [{ from: 0, to: 3_600_000 }] },
  ],
  intervalMinutes: 30,
  calls: [30, 90, 60, 10],
  entries: [
    { queue: 'orders', weight: 0.7 },
    { queue: 'returns', weight: 0.3 },
  ],
  ahtSeconds: [120, 150, 150, 120],
  patienceSeconds: 300,
  targetSeconds: 30,
  seed: 42,
};

test('seeded: the same input gives the same run; another seed another; every caller is accounted for', () => {
  const a = simulate(small);
  assert.deepEqual(simulate(small), a);
  assert.notDeepEqual(simulate({ ...small, seed: 43 }), a);
  const t = a.totals;
  assert.equal(t.offered, t.queued, 'everyone queued here');
  assert.equal(t.queued, t.answered + t.abandoned + t.targeted, 'answered, abandoned or sent to a target: nobody lost');
  assert.ok(t.targeted > 0, 'max wait sent callers to the callback target');
  assert.equal(t.callbacksCreated, t.targeted, 'each caller the max wait sent away got a callback');
  assert.ok(t.callbacksCompleted > 0, 'agents worked callbacks');
  assert.equal(t.callbacksCompleted + t.callbackBacklog, t.callbacksCreated, 'every callback done or still waiting');
  assert.equal(a.intervals.reduce((s, i) => s + i.callbacksCompleted, 0), t.callbacksCompleted);
  assert.ok(a.intervals.every((i) => i.callbackBacklog >= 0 && i.waitingAtEnd >= 0));
  assert.ok(a.intervals[1]!.peakWaiting > 0);
  assert.equal(a.intervals.length, 4);
});

test('bad input: each named', () => {
  const named = (patch: Partial<SimInput>, input: string): void =>
    assert.throws(() => simulate({ ...small, ...patch }), (e: unknown) => e instanceof SimInputError && e.input === input, input);
  named({ calls: [10, -1] }, 'profile[1]');
  named({ calls: [] }, 'profile');
  named({ entries: [{ queue: 'orders', weight: 0.5 }] }, 'entries');
  named({ entries: [{ queue: 'nope', weight: 1 }] }, 'entries[0].queue');
  named({ ahtSeconds: 0 }, 'ahtSeconds');
  named({ intervalMinutes: 7 }, 'intervalMinutes');
});

test('through the Double-11 flow: deflected and voicemail callers never queue; the rest queue as the walk says', () => {
  const flow = flowSchema.parse(egouDouble11Flow);
  const walk = walkFlow(flow, {
    menu: { '1': 0.45, '2': 0.2, '3': 0.1, '4': 0.1, '0': 0.1, noInput: 0.05 },
    orderStatus: { hangup: 0.6, '1': 0.3, noInput: 0.1 },
    returns: { hangup: 0.5, '1': 0.4, noInput: 0.1 },
    payment: { hangup: 0.5, '1': 0.5 },
  });
  const queues = DEMO_QUEUES.filter((q) => q.name.startsWith('egou-')).map((q) => parseQueueConfig(q));
  const entries = entriesOf(walk, { queues: new Set(queues.map((q) => q.name)) });
  const r = simulate({ ...small, queues, entries, calls: [2000, 2000], agents: Array.from({ length: 40 }, (_, i) => ({ id: `a${i}`, skills: { orders: 8, returns: 8 }, groups: ['egou'] })) });
  const t = r.totals;
  // Option 4's voicemail node files for egou-orders, whose voicemail settings create a callback: each message is one.
  assert.equal(t.offered, t.queued + t.deflected + (t.callbacksCreated - t.targeted), 'every caller ends somewhere');
  assert.ok(Math.abs(t.voicemails / t.offered - 0.1) < 0.02, `a tenth leave a message: ${t.voicemails / t.offered}`);
  assert.ok(t.callbacksCreated >= t.voicemails, 'each message is a callback');
  const queuedShare = walk.outcomes.filter((o) => o.outcome.kind === 'queue').reduce((s, o) => s + o.share, 0);
  assert.ok(Math.abs(t.queued / t.offered - queuedShare) < 0.03, `queued ${t.queued / t.offered} vs ${queuedShare}`);
  assert.ok(t.deflected / t.offered > 0.3, 'the FAQ answers deflect a third and more');
  assert.throws(() => entriesOf({ outcomes: [{ node: 'x', outcome: { kind: 'goto', flow: 'other' }, share: 1 }] }, { queues: new Set() }), /flow "other", which is not published/);
});


test("staffing tiers act as live: a surge raises the level, the standby group takes calls, the level falls after", () => {
  const tieredQueue = parseQueueConfig({
    name: 'q',
    wrapUpSeconds: 0,
    agentGroups: ['team'],
    tiers: [{ name: 'surge', when: { waitingAtLeast: 8 }, addGroups: ['standby'], holdSeconds: 60 }],
  });
  const input: SimInput = {
    queues: [tieredQueue],
    agents: [...Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, skills: {}, groups: ['team'] })), ...Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, skills: {}, groups: ['standby'] }))],
    intervalMinutes: 30,
    calls: [40, 400, 40, 40], // 5 agents × 30 min / 3 min = 50 calls per interval: the second is 8× that
    entries: [{ queue: 'q', weight: 1 }],
    ahtSeconds: 180,
    patienceSeconds: 300,
    targetSeconds: 30,
    seed: 9,
  };
  const withTiers = simulate(input);
  const levels = withTiers.tierChanges.map((c) => c.level);
  assert.ok(levels.includes(1) && levels.at(-1) === 0, `up and back down: ${JSON.stringify(withTiers.tierChanges.slice(0, 6))}`);
  assert.ok(withTiers.tierChanges[0]!.at >= 1_800_000, 'not before the surge');
  const without = simulate({ ...input, queues: [parseQueueConfig({ name: 'q', wrapUpSeconds: 0, agentGroups: ['team'] })] });
  assert.deepEqual(without.tierChanges, []);
  assert.ok(withTiers.intervals[1]!.answered > without.intervals[1]!.answered + 50, `the standby group answers: ${withTiers.intervals[1]!.answered} vs ${without.intervals[1]!.answered}`);
  assert.ok((withTiers.intervals[1]!.serviceLevel ?? 0) > (without.intervals[1]!.serviceLevel ?? 0));
});
