/**
 * Issue 4's routing benchmark: routing decisions per second and the latency of one decision with
 * 10,000 agents and 100,000 waiting contacts (target p99 < 1 ms), through the incremental router
 * (src/acd/route-index.ts), against one whole route() batch over the same state for comparison.
 *
 *   node --import tsx bench/acd-route-index.ts [--agents 10000] [--waiting 100000] [--events 200000]
 *
 * Surge: every agent busy and 100,000 callers waiting in four queues (skills, best-skill,
 * least-occupied, round-robin, VIP/returning boosts, a relax step, an overflow step, a few
 * front-requeued calls with a refusal). The clock moves 2 ms per event; each event first works
 * the timers due (advance), then one of: an agent frees up (it takes the first call it may
 * take; 45 %), a caller arrives (50 %), a caller hangs up (5 %), so the backlog stays near 100,000.
 * "+ idle specialists" adds 500 free agents who hold only a skill no waiting call needs, so every
 * arrival also walks them. One event's latency includes its timers. Prints a table; no assertions.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { parseQueueConfig } from '../src/acd/queue-config.ts';
import { route } from '../src/acd/router.ts';
import { RouteIndex } from '../src/acd/route-index.ts';
import type { AgentSnapshot, WaitingCall } from '../src/acd/types.ts';
import { fmt, percentile, plainTable } from './lib/table.ts';

const { values: flags } = parseArgs({
  options: { agents: { type: 'string', default: '10000' }, waiting: { type: 'string', default: '100000' }, events: { type: 'string', default: '200000' } },
});
const AGENTS = Number(flags.agents);
const WAITING = Number(flags.waiting);
const EVENTS = Number(flags.events);

let seed = 7;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const queues = [
  parseQueueConfig({ name: 'orders', priority: 60, requiredSkills: [{ skill: 'orders', minProficiency: 3 }], relax: [{ afterSeconds: 60, minProficiency: 1 }] }),
  parseQueueConfig({ name: 'returns', priority: 50, strategy: 'best-skill', requiredSkills: [{ skill: 'returns' }], customerTypes: { sameAgentWithinSeconds: 600 } }),
  parseQueueConfig({ name: 'incidents', priority: 80, strategy: 'least-occupied', requiredSkills: [{ skill: 'incidents', minProficiency: 5 }], agentGroups: ['sk'] }),
  parseQueueConfig({ name: 'general', priority: 40, strategy: 'round-robin', overflow: [{ afterSeconds: 300, queue: 'orders' }] }),
];
const SKILLS = ['orders', 'returns', 'incidents', 'payments'];
const agentId = (i: number): string => `a${String(i).padStart(5, '0')}`;

function agentAt(i: number, now: number, skills?: Record<string, number>): AgentSnapshot {
  const s: Record<string, number> = {};
  if (!skills) for (const k of SKILLS) if (rand() < 0.6) s[k] = 1 + Math.floor(rand() * 10);
  return {
    id: agentId(i), extension: String(10_000 + i), skills: skills ?? s, groups: rand() < 0.5 ? ['sk'] : ['egou'],
    state: 'available', stateSince: now, lastCallEndedAt: now - Math.floor(rand() * 60_000), answeredToday: Math.floor(rand() * 50),
    talkMsToday: Math.floor(rand() * 3_600_000), loggedInMsToday: 3_600_000 + Math.floor(rand() * 3_600_000),
  };
}

let callSeq = 0;
function newCall(now: number, back: number): WaitingCall {
  const enteredAt = now - back;
  const requeued = rand() < 0.01;
  const r = rand();
  return {
    id: `c${++callSeq}`, queue: queues[Math.floor(rand() * queues.length)]!.name, enteredAt, firstEnteredAt: enteredAt,
    priority: Math.floor(rand() * 3), customerType: r < 0.05 ? 'vip' : r < 0.3 ? 'returning' : 'new',
    lastAgentId: rand() < 0.1 ? agentId(Math.floor(rand() * AGENTS)) : null, lastAgentAt: now - 60_000,
    skills: rand() < 0.2 ? ['payments'] : [], kind: 'call', requeuedAtFront: requeued,
    refusedBy: requeued ? [agentId(Math.floor(rand() * AGENTS))] : [],
  };
}

interface Row {
  label: string;
  build: number;
  batch: number;
  events: number;
  decisions: number;
  times: number[];
  total: number;
  waitingStart: number;
  waitingEnd: number;
}

function scenario(label: string, idleSpecialists: number): Row {
  let now = 10 * 3_600_000;
  const ix = new RouteIndex({ queues });
  const waitingIds: string[] = [];
  const t0 = performance.now();
  // The backlog built up over the last 400 s, oldest first (as it would have arrived).
  const initial = Array.from({ length: WAITING }, () => newCall(now, Math.floor(rand() * 400_000))).sort((a, b) => a.enteredAt - b.enteredAt);
  for (const c of initial) {
    waitingIds.push(c.id);
    // The oldest general callers are already past its overflow step: they move to orders.
    for (const d of ix.addCall(c, now)) if (d.kind === 'overflow') ix.addCall({ ...c, queue: d.to, enteredAt: now }, now);
  }
  const build = performance.now() - t0;
  const waitingStart = ix.waitingCount;
  for (let i = 0; i < idleSpecialists; i++) ix.agentAvailable(agentAt(AGENTS + i, now, { fax: 5 }), now);
  const busy: number[] = Array.from({ length: AGENTS }, (_, i) => i);
  // For comparison: one whole route() batch over this state.
  const snap = ix.snapshot(now);
  const b0 = performance.now();
  route(snap);
  const batch = performance.now() - b0;

  const times: number[] = [];
  let decisions = 0;
  const start = performance.now();
  for (let n = 0; n < EVENTS; n++) {
    now += 2;
    const e0 = performance.now();
    let ds = ix.advance(now);
    const r = rand();
    if (r < 0.45 && busy.length > 0) {
      const k = Math.floor(rand() * busy.length);
      const i = busy[k]!;
      busy[k] = busy[busy.length - 1]!;
      busy.pop();
      ds = ds.concat(ix.agentAvailable(agentAt(i, now), now));
    } else if (r < 0.95) {
      const c = newCall(now, 0);
      waitingIds.push(c.id);
      ds = ds.concat(ix.addCall(c, now));
    } else {
      const k = Math.floor(rand() * waitingIds.length);
      const id = waitingIds[k]!;
      waitingIds[k] = waitingIds[waitingIds.length - 1]!;
      waitingIds.pop();
      ix.removeCall(id);
    }
    times.push(performance.now() - e0);
    decisions += ds.length;
    for (const d of ds) {
      if (d.kind === 'offer') busy.push(Number(d.agentId.slice(1))); // talks, then frees up again later
      else if (d.kind === 'overflow') {
        const moved: WaitingCall = { ...newCall(now, 0), id: d.callId, queue: d.to };
        decisions += ix.addCall(moved, now).length;
      }
    }
  }
  const total = performance.now() - start;
  return { label, build, batch, events: EVENTS, decisions, times, total, waitingStart, waitingEnd: ix.waitingCount };
}

const rows = [scenario('surge', 0), scenario('surge + 500 idle specialists', 500)].map((r) => [
  r.label, AGENTS, r.waitingStart, r.waitingEnd, fmt(r.build, 0), fmt(r.batch, 1), r.events, r.decisions,
  fmt(percentile(r.times, 50)! * 1000, 1), fmt(percentile(r.times, 99)! * 1000, 1), fmt(percentile(r.times, 99.9)! * 1000, 1),
  fmt(r.times.reduce((m, t) => Math.max(m, t), 0) * 1000, 0), Math.round(r.events / (r.total / 1000)), Math.round(r.decisions / (r.total / 1000)),
]);
console.log(
  plainTable(
    [
      { title: 'case', left: true }, { title: 'agents' }, { title: 'waiting' }, { title: 'waiting at end' }, { title: 'build ms' },
      { title: 'one route() batch ms' }, { title: 'events' }, { title: 'decisions' }, { title: 'p50 µs' }, { title: 'p99 µs' },
      { title: 'p99.9 µs' }, { title: 'max µs' }, { title: 'events/s' }, { title: 'decisions/s' },
    ],
    rows,
  ),
);
