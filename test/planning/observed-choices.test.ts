/**
 * Shares observed from call journeys (observed-choices.ts) on the demo's Double-11 flow:
 * menu keys, FAQ answers that loop back, hang-ups after an answer, a goto into another flow,
 * moves the current version has no edge for, the time in the IVR; and the replayed profile
 * (replay.ts): recorded instants, scaled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowSchema, type Flow } from '../../src/flows/schema.ts';
import type { FlowEnd, JourneyEntry } from '../../src/flows/interpreter.ts';
import { egouDouble11Flow } from '../../src/flows/demo/egou.ts';
import { observe, observedChoices, observedIvrSeconds } from '../../src/planning/sim/observed-choices.ts';
import { walkFlow } from '../../src/planning/sim/flow-walk.ts';
import { replayArrivals } from '../../src/planning/sim/replay.ts';

const flow = flowSchema.parse(egouDouble11Flow);
const other: Flow = flowSchema.parse({
  version: 1,
  name: 'vip',
  start: 'hello',
  nodes: { hello: { type: 'say', prompt: { text: '您好' }, next: 'agent' }, agent: { type: 'queue', queue: 'egou-orders' } },
});

/** A journey through these nodes, one second apart, ending as `end` says (goto: the next flow's nodes follow). */
function journey(...parts: (string | { end: FlowEnd })[]): JourneyEntry[] {
  const out: JourneyEntry[] = [];
  let at = 1_000_000;
  for (const p of parts) {
    at += 1000;
    out.push(typeof p === 'string' ? { kind: 'node', at, node: p, type: 'say' } : { kind: 'end', at, end: p.end });
  }
  return out;
}

test('moves between nodes become the walk’s shares, hang-ups after an FAQ answer included; counts say the sample', () => {
  // Walk the flow's own nodes: the first node names come from the flow.
  const menuNode = Object.entries(flow.nodes).find(([, n]) => n.type === 'menu')![0];
  assert.equal(menuNode, 'menu');
  const records = [
    ...Array.from({ length: 6 }, () => ({ flow: flow.name, journey: journey('welcome', 'menu', 'orderStatus', { end: 'caller-hangup' }) })),
    ...Array.from({ length: 2 }, () => ({ flow: flow.name, journey: journey('welcome', 'menu', 'orderStatus', 'agent', { end: 'queue' }) })),
    ...Array.from({ length: 2 }, () => ({ flow: flow.name, journey: journey('welcome', 'menu', 'agent', { end: 'queue' }) })),
    { flow: flow.name, journey: journey('welcome', 'menu', 'renamedSince', { end: 'caller-hangup' }) },
  ];
  const welcome = flow.nodes[flow.start]!;
  assert.equal(flow.start, 'welcome', `the demo starts at welcome (${welcome.type})`);
  const seen = observedChoices(flow, observe(records, () => flow));
  assert.deepEqual(seen.counts.menu, { 'options.1': 8, 'options.0': 2 });
  assert.deepEqual(seen.choices.menu, { 'options.1': 0.8, 'options.0': 0.2 });
  assert.deepEqual(seen.counts.orderStatus, { hangup: 6, 'options.1': 2 });
  assert.equal(seen.unmatched, 2, 'menu → renamedSince and its hang-up: no such node now');
  // The walk takes them: menu 1 → FAQ → 60 % hang up (75 % of 80 %), the rest reach the agent.
  const walk = walkFlow(flow, seen.choices);
  const share = (node: string): number => walk.outcomes.filter((o) => o.node === node).reduce((s, o) => s + o.share, 0);
  assert.ok(Math.abs(share('orderStatus:hangup') - 0.6) < 1e-9, JSON.stringify(walk.outcomes));
  assert.ok(Math.abs(share('agent') - 0.4) < 1e-9);
});

test('a goto continues in the flow it names; the time in the IVR is kept per end', () => {
  const vipFlow: Flow = { ...flow, nodes: { ...flow.nodes, welcome: { type: 'say', prompt: { text: '歡迎' }, bargeIn: false, next: 'toVip' }, toVip: { type: 'goto', flow: 'vip' } } };
  const records = [
    { flow: flow.name, journey: journey('welcome', 'toVip', { end: 'goto' }, 'hello', 'agent', { end: 'queue' }) },
    { flow: flow.name, journey: journey('welcome', 'toVip', { end: 'goto' }, 'hello', { end: 'caller-hangup' }) },
  ];
  const flows = new Map([[vipFlow.name, vipFlow], ['vip', other]]);
  const obs = observe(records, (name) => flows.get(name));
  assert.deepEqual(observedChoices(other, obs).counts, { hello: { next: 1, hangup: 1 } });
  assert.deepEqual(observedChoices(vipFlow, obs).counts, { welcome: { next: 2 } });
  // Walked across both flows with what was seen: half reach vip's agent, half hang up at hello.
  const walk = walkFlow(vipFlow, observedChoices(vipFlow, obs).choices, { flows, flowChoices: { vip: observedChoices(other, obs).choices } });
  assert.deepEqual(
    walk.outcomes.map((o) => [o.flow, o.node, o.share]),
    [
      ['vip', 'agent', 0.5],
      ['vip', 'hello:hangup', 0.5],
    ],
  );
  assert.equal(observedIvrSeconds(obs, 'vip', 'agent'), 5, 'first node to the end: five seconds');
  assert.equal(observedIvrSeconds(obs, 'vip', 'hello'), 4);
  assert.equal(observedIvrSeconds(obs, flow.name, 'agent'), undefined);
});

test('replay: the recorded instants from the period start, scaled by copies, in their intervals', () => {
  const since = Date.parse('2026-11-11T00:00:00+08:00');
  const until = since + 3_600_000;
  const times = [since - 1, since, since + 10_000, since + 1_900_000, until, until + 5];
  const once = replayArrivals(times, { since, until, intervalMinutes: 30, scale: 1, seed: 1 });
  assert.deepEqual(once.arrivals, [0, 10_000, 1_900_000], 'outside the period: left out');
  assert.deepEqual(once.calls, [2, 1]);
  const twice = replayArrivals(times, { since, until, intervalMinutes: 30, scale: 2, seed: 1 });
  assert.equal(twice.arrivals.length, 6);
  assert.ok(twice.arrivals.every((t, i, a) => i === 0 || t >= a[i - 1]!), 'ascending');
  assert.ok(twice.arrivals.every((t) => once.arrivals.some((o) => Math.abs(o - t) <= 30_000)), 'copies within 30 s of a recorded call');
  const many = Array.from({ length: 10_000 }, (_, i) => since + i * 300);
  const half = replayArrivals(many, { since, until, intervalMinutes: 60, scale: 1.5, seed: 7 });
  assert.ok(Math.abs(half.arrivals.length / 15_000 - 1) < 0.03, `1.5×: ${half.arrivals.length}`);
  assert.deepEqual(replayArrivals(many, { since, until, intervalMinutes: 60, scale: 1.5, seed: 7 }), half, 'seeded');
  assert.throws(() => replayArrivals([], { since, until, intervalMinutes: 30, scale: 1, seed: 1 }), /no calls on this line/);
  assert.throws(() => replayArrivals(times, { since, until: since, intervalMinutes: 30, scale: 1, seed: 1 }), /must be after since/);
  assert.throws(() => replayArrivals(times, { since, until, intervalMinutes: 30, scale: -1, seed: 1 }), /scale/);
});
