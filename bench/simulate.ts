/**
 * Simulator speed (issue 5 target: a Double-11 day of 1,000,000 calls with 2,000 agents in
 * under 10 s). The demo's E購網 queues as seeded (egou-orders, egou-returns: skills, relax steps,
 * max size 200, max wait 900 s to a callback), 2,000 agents with both skills at random
 * proficiencies, a Double-11 day in 15-minute intervals (a midnight rush, then the day curve),
 * callers through the E購網 Double-11 flow first (its menu and FAQ answers: given key shares,
 * a share of callers hanging up after an answer, voicemail on 4 worked as a callback in
 * egou-orders), 25 s in the IVR before each end, then AHT 180 s, patience 120 s, seeded.
 *
 *   node --import tsx bench/simulate.ts [--calls 1000000] [--agents 2000] [--windows]
 *
 * Prints a table; no assertions.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { parseQueueConfig } from '../src/acd/queue-config.ts';
import { DEMO_QUEUES } from '../src/demo/seed.ts';
import { simulate } from '../src/planning/sim/simulate.ts';
import { Rng } from '../src/planning/sim/rng.ts';
import { flowSchema } from '../src/flows/schema.ts';
import { egouDouble11Flow } from '../src/flows/demo/egou.ts';
import { walkFlow } from '../src/planning/sim/flow-walk.ts';
import { entriesOf } from '../src/planning/sim/line-entries.ts';
import { fmt, plainTable } from './lib/table.ts';

const { values: flags } = parseArgs({ options: { calls: { type: 'string', default: '1000000' }, agents: { type: 'string', default: '2000' }, windows: { type: 'boolean', default: false } } });
const CALLS = Number(flags.calls);
const AGENTS = Number(flags.agents);

const queues = DEMO_QUEUES.filter((q) => q.name.startsWith('egou-')).map((q) => parseQueueConfig(q));
const rng = new Rng(3);
const agents = Array.from({ length: AGENTS }, (_, i) => ({
  id: `a${i}`,
  skills: { orders: 1 + Math.floor(rng.next() * 10), returns: 1 + Math.floor(rng.next() * 10) },
  groups: ['egou'],
}));
// 96 quarter-hours: the midnight rush of a Double-11, a night low, then the day curve.
const shape = Array.from({ length: 96 }, (_, i) => {
  const h = i / 4;
  return (h < 1 ? 6 : h < 2 ? 3 : 0) + 0.15 + Math.max(0, Math.sin((Math.PI * (h - 7)) / 16)) * 1.6;
});
const scale = CALLS / shape.reduce((a, b) => a + b, 0);

const t0 = performance.now();
const result = simulate({
  queues,
  agents,
  intervalMinutes: 15,
  calls: shape.map((s) => s * scale),
  entries: entriesOf(
    walkFlow(flowSchema.parse(egouDouble11Flow), {
      menu: { '1': 0.45, '2': 0.2, '3': 0.1, '4': 0.1, '0': 0.1, noInput: 0.05 },
      orderStatus: { hangup: 0.6, '1': 0.3, noInput: 0.1 },
      returns: { hangup: 0.5, '1': 0.4, noInput: 0.1 },
      payment: { hangup: 0.5, '1': 0.5 },
    }),
    { queues: new Set(queues.map((q) => q.name)), ivrSeconds: 25 },
  ),
  ahtSeconds: 180,
  patienceSeconds: 120,
  targetSeconds: 30,
  seed: 11,
  // --windows: the day is 2026-11-11 in Taipei, and callbacks keep to the queues' 09:00-21:00 windows.
  ...(flags.windows ? { clock: { startMs: Date.parse('2026-11-11T00:00:00+08:00'), timeZone: 'Asia/Taipei' } } : {}),
});
const seconds = (performance.now() - t0) / 1000;
const t = result.totals;
console.log(
  plainTable(
    [
      { title: 'calls' }, { title: 'deflected %' }, { title: 'queued' }, { title: 'agents' }, { title: 'events' }, { title: 's' }, { title: 'calls/s' },
      { title: 'SL 30 s %' }, { title: 'abandoned %' }, { title: 'callbacks' }, { title: 'peak waiting' },
    ],
    [[t.offered, fmt((100 * t.deflected) / t.offered), t.queued, AGENTS, t.events, fmt(seconds, 2), fmt(t.offered / seconds, 0), fmt(100 * (t.serviceLevel ?? 0)), fmt((100 * t.abandoned) / t.offered), t.callbacksCreated, t.peakWaiting]],
  ),
);
