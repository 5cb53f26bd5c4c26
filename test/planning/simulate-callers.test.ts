/**
 * The simulator's callers beyond the queue (issue 5 §4): time spent in the IVR before the
 * queue, a replay of recorded arrival instants, callbacks the customer does not answer
 * (retried by the queue's settings, then given up), voicemails filed for a queue (worked as
 * callbacks) or for none (kept in the inbox), the callback offer, a staffing plan as agents on
 * duty per interval, and the bad input for each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueConfig } from '../../src/acd/queue-config.ts';
import { simulate, SimInputError, type SimInput } from '../../src/planning/sim/simulate.ts';
import { dutyAgents } from '../../src/planning/sim/duty-agents.ts';
import { PlanningInputError } from '../../src/planning/input-error.ts';

const q = parseQueueConfig({ name: 'q', wrapUpSeconds: 0, callbacks: { maxAttempts: 3, retrySpacingSeconds: 60 } });
const base: SimInput = {
  queues: [q],
  agents: [{ id: 'a1', skills: {} }],
  intervalMinutes: 15,
  calls: [0, 0, 0, 0],
  entries: [{ queue: 'q', weight: 1 }],
  ahtSeconds: 60,
  targetSeconds: 20,
  seed: 3,
};

test('replay: callers arrive at the recorded instants, counted in their intervals', () => {
  const arrivals = [1_000, 2_000, 899_000, 1_000_000, 3_500_000];
  const r = simulate({ ...base, arrivals });
  assert.deepEqual(r.intervals.map((i) => i.offered), [3, 1, 0, 1]);
  assert.equal(r.totals.answered, 5, 'one agent, 60 s calls: all answered in the end');
  // The first caller is answered at once; the second waits for the first call to end.
  assert.equal(r.intervals[0]!.answeredWithinTarget, 2, 'the 899 s caller is answered at once too');
  assert.deepEqual(simulate({ ...base, arrivals }), r, 'a replay is deterministic');
});

test('time in the IVR: callers reach the queue that long after they arrive (counted in their arrival interval)', () => {
  const arrivals = [10_000, 20_000, 30_000];
  const without = simulate({ ...base, arrivals });
  const ivr = simulate({ ...base, arrivals, entries: [{ queue: 'q', weight: 1, ivrSeconds: 900 }] });
  assert.deepEqual(ivr.intervals.map((i) => i.offered), [3, 0, 0, 0]);
  assert.deepEqual(ivr.intervals.map((i) => i.queued), [3, 0, 0, 0], 'queued counts by arrival');
  assert.ok((without.intervals[0]!.occupancy ?? 0) > 0, 'without the IVR the agent talks in the first interval');
  assert.equal(ivr.intervals[0]!.occupancy, 0, 'with 900 s in the IVR nobody reaches the agent in the first interval');
  assert.ok((ivr.intervals[1]!.occupancy ?? 0) > 0);
  assert.equal(ivr.totals.answered, 3);
});

test('callbacks the customer never answers: each tried maxAttempts times, the agent busy for the ring, then given up', () => {
  const arrivals = [1_000, 2_000];
  const r = simulate({ ...base, arrivals, entries: [{ ivr: 'callback', queue: 'q', weight: 1 }], callbackReach: 0, callbackDialSeconds: 30 });
  assert.equal(r.totals.callbacksCreated, 2);
  assert.equal(r.totals.callbacksCompleted, 0);
  assert.equal(r.totals.callbacksFailed, 2, 'given up after the third attempt');
  assert.equal(r.totals.callbackBacklog, 0);
  // One booked just before the quarter-hour ends is between attempts when it closes: still backlog, not a waiting caller.
  const late = simulate({ ...base, arrivals: [880_000], entries: [{ ivr: 'callback', queue: 'q', weight: 1 }], callbackReach: 0 });
  assert.deepEqual([late.intervals[0]!.callbackBacklog, late.intervals[0]!.waitingAtEnd], [1, 0]);
  assert.ok(late.intervals.every((i) => i.peakWaiting === 0 && i.waitingAtEnd === 0), 'callbacks between attempts are not waiting callers');
  // 2 callbacks × 3 attempts × 30 s of ringing on one agent in the first quarter-hour (attempts 60 s apart).
  assert.ok(Math.abs(r.intervals[0]!.occupancy! - (6 * 30) / 900) < 1e-9, `occupancy ${r.intervals[0]!.occupancy}`);
  const reached = simulate({ ...base, arrivals, entries: [{ ivr: 'callback', queue: 'q', weight: 1 }] });
  assert.deepEqual([reached.totals.callbacksCompleted, reached.totals.callbacksFailed], [2, 0], 'by default the customer answers');
});

test('callbacks reached half the time: completed ≈ 1 − ½³ of them, the rest given up; all accounted for', () => {
  const r = simulate({
    ...base,
    agents: Array.from({ length: 5 }, (_, i) => ({ id: `a${i}`, skills: {} })),
    calls: [400, 400, 400, 400],
    entries: [{ ivr: 'callback', queue: 'q', weight: 1 }],
    callbackReach: 0.5,
  });
  const t = r.totals;
  assert.equal(t.callbacksCompleted + t.callbacksFailed + t.callbackBacklog, t.callbacksCreated);
  assert.equal(t.callbackBacklog, 0, 'the run goes on until every callback is done');
  const share = t.callbacksCompleted / t.callbacksCreated;
  assert.ok(Math.abs(share - 0.875) < 0.03, `completed share ${share}`);
});

test('voicemails: filed for a queue that calls back they become callbacks; for no queue (or a queue that does not) they stay in the inbox', () => {
  const noCallback = parseQueueConfig({ name: 'quiet', voicemail: { createCallback: false } });
  const arrivals = [1_000, 2_000, 3_000];
  const all = simulate({ ...base, arrivals, entries: [{ ivr: 'voicemail', queue: 'q', weight: 1 }] });
  assert.deepEqual([all.totals.voicemails, all.totals.callbacksCreated, all.totals.callbacksCompleted], [3, 3, 3]);
  const inbox = simulate({ ...base, queues: [q, noCallback], arrivals, entries: [{ ivr: 'voicemail', weight: 0.5 }, { ivr: 'voicemail', queue: 'quiet', weight: 0.5 }] });
  assert.deepEqual([inbox.totals.voicemails, inbox.totals.callbacksCreated], [3, 0]);
});

test('bad input: each named', () => {
  const named = (patch: Partial<SimInput>, input: string): void =>
    assert.throws(() => simulate({ ...base, ...patch }), (e: unknown) => e instanceof SimInputError && e.input === input, input);
  named({ arrivals: [5, 1] }, 'arrivals[1]');
  named({ arrivals: [-1] }, 'arrivals[0]');
  named({ arrivals: [3_600_000] }, 'arrivals[0]');
  named({ callbackReach: 1.5 }, 'callbackReach');
  named({ callbackDialSeconds: 0 }, 'callbackDialSeconds');
  named({ entries: [{ queue: 'q', weight: 1, ivrSeconds: -2 }] }, 'entries[0].ivrSeconds');
});

test('the callback offer: takers still waiting when it comes become keep-place callbacks, in their place; the rest wait on', () => {
  const offering = parseQueueConfig({ name: 'q', wrapUpSeconds: 0, announcements: { offerCallbackAfterSeconds: 30 } });
  // One agent busy for an hour with the first caller; three more queue behind.
  const input: SimInput = { ...base, queues: [offering], arrivals: [0, 1_000, 2_000, 3_000], ahtSeconds: 3_600, callbackAcceptance: 1 };
  const r = simulate(input);
  assert.equal(r.totals.queued, 4);
  assert.equal(r.totals.targeted, 3, 'the three waiting took the offer at 30 s');
  assert.equal(r.totals.callbacksCreated, 3);
  assert.equal(r.totals.callbacksCompleted + r.totals.callbackBacklog, 3);
  assert.equal(r.totals.queued, r.totals.answered + r.totals.abandoned + r.totals.targeted);
  const none = simulate({ ...input, callbackAcceptance: 0 });
  assert.deepEqual([none.totals.targeted, none.totals.callbacksCreated, none.totals.answered], [0, 0, 4]);
  // Half take it, over many callers: about half of those still waiting at 30 s.
  const many = simulate({ ...base, queues: [offering], agents: [{ id: 'a1', skills: {} }, { id: 'a2', skills: {} }], calls: [200, 200, 0, 0], ahtSeconds: 60, callbackAcceptance: 0.5 });
  const left = many.totals.targeted / many.totals.queued;
  assert.ok(left > 0.2 && left < 0.5, `took the offer: ${left}`);
  assert.throws(() => simulate({ ...input, callbackAcceptance: -0.1 }), (e: unknown) => e instanceof SimInputError && e.input === 'callbackAcceptance');
});

test('a staffing plan: agents on duty per interval become shifts; nobody on duty, nobody answers; the last interval’s stay on', () => {
  const agents = dutyAgents([2, 3, 0, 1], 15, { skills: {}, groups: ['g'] });
  const q = 15 * 60_000;
  assert.deepEqual(
    agents.map((a) => a.shifts),
    [
      [{ from: 0, to: 2 * q }, { from: 3 * q, to: Infinity }],
      [{ from: 0, to: 2 * q }],
      [{ from: q, to: 2 * q }],
    ],
  );
  assert.deepEqual(agents[0]!.groups, ['g']);
  // Callers in the interval nobody works wait for the next one's agent.
  const r = simulate({ ...base, agents: dutyAgents([1, 0, 0, 1], 15, { skills: {}, groups: [] }), arrivals: [1_000_000], ahtSeconds: 60 });
  assert.equal(r.totals.answered, 1);
  assert.ok(r.totals.asaSeconds! > 2 * 900 - 1_000 - 1, `waited for the fourth quarter-hour: ${r.totals.asaSeconds}`);
  assert.deepEqual(r.intervals.map((i) => i.occupancy === null), [false, true, true, false], 'nobody staffed, no occupancy');
  assert.throws(() => dutyAgents([0, 0], 15, { skills: {}, groups: [] }), (e: unknown) => e instanceof PlanningInputError && e.input === 'agents');
  assert.throws(() => dutyAgents([1, 1.5], 15, { skills: {}, groups: [] }), (e: unknown) => e instanceof PlanningInputError && e.input === 'agents[1]');
});

test('deadlines land exactly: every caller a queue cannot serve overflows at its step (whole-millisecond times)', () => {
  const a = parseQueueConfig({ name: 'a', wrapUpSeconds: 0, agentGroups: ['x'], overflow: [{ afterSeconds: 30, queue: 'b' }] });
  const b = parseQueueConfig({ name: 'b', wrapUpSeconds: 0 });
  for (const seed of [1, 2, 3]) {
    const r = simulate({ ...base, queues: [a, b], agents: Array.from({ length: 20 }, (_, i) => ({ id: `a${i}`, skills: {} })), calls: [300, 300, 300, 300], entries: [{ queue: 'a', weight: 1 }], ahtSeconds: 60, seed });
    assert.equal(r.totals.answered, r.totals.queued, `seed ${seed}: nobody stranded in a (${r.totals.queued - r.totals.answered} left)`);
    assert.ok(r.totals.asaSeconds! >= 30, 'each waited out the 30 s step');
  }
});

test('a keep-place callback that overflows stays a callback, worked in the next queue', () => {
  // Nobody serves a: at 10 s all three take the offer (callbacks keep their place, entered at 0-2 s), at 20 s they overflow to b.
  const a = parseQueueConfig({ name: 'a', wrapUpSeconds: 0, agentGroups: ['x'], overflow: [{ afterSeconds: 20, queue: 'b' }], announcements: { offerCallbackAfterSeconds: 10 } });
  const b = parseQueueConfig({ name: 'b', wrapUpSeconds: 0 });
  const r = simulate({ ...base, queues: [a, b], agents: [{ id: 'a1', skills: {} }], arrivals: [0, 1_000, 2_000], entries: [{ queue: 'a', weight: 1 }], ahtSeconds: 600, callbackAcceptance: 1 });
  const t = r.totals;
  assert.deepEqual([t.queued, t.targeted, t.answered, t.callbacksCreated, t.callbacksCompleted, t.callbackBacklog], [3, 3, 0, 3, 3, 0]);
  assert.ok(r.intervals.every((i) => i.waitingAtEnd >= 0 && i.peakWaiting >= 0));
});

test('touching shifts are one stretch of work: no agent twice in the router', () => {
  const h = 3_600_000;
  const r = simulate({
    ...base,
    intervalMinutes: 60,
    calls: [400, 400],
    agents: Array.from({ length: 3 }, (_, i) => ({ id: `a${i}`, skills: {}, shifts: [{ from: 0, to: h }, { from: h, to: 2 * h }] })),
    ahtSeconds: 60,
  });
  // 400 calls an hour of 60 s on three agents: all three busy all the time.
  assert.ok(r.intervals.every((i) => (i.occupancy ?? 0) > 0.9 && (i.occupancy ?? 0) <= 1 + 1e-9), JSON.stringify(r.intervals.map((i) => i.occupancy)));
});

test('whole-millisecond events do not bias the arrivals: 100,000 calls in a quarter-hour come as 100,000 ± 1 %', () => {
  const r = simulate({ ...base, calls: [100_000], entries: [{ ivr: 'deflected', weight: 1 }] });
  assert.ok(Math.abs(r.totals.offered / 100_000 - 1) < 0.01, `offered ${r.totals.offered}`);
});
