/**
 * Micro-benchmark of the pure ACD router (src/acd/router.ts): how many routing decisions per
 * second, and how long one batch takes, at 100 / 1,000 / 10,000 waiting × 200 / 2,000 agents.
 *
 *   node --import tsx bench/acd-router.ts [--budget-ms 800]
 *
 * Two situations per size, since the router's cost depends on who is free:
 * - surge: 5 % of the agents available (a backlog behind busy agents, the usual surge case);
 * - idle:  every agent available (the most offers one batch can make).
 * Four queues (orders / returns / incidents / general) with skills, one of them best-skill and one
 * round-robin; calls have mixed customer types, some front-requeued with a refusal. Each batch
 * routes the same snapshot (inputs are never mutated), so the timing is one full decision batch.
 * Prints a plain table; no assertions (tests hold no timing).
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { parseQueueConfig } from '../src/acd/queue-config.ts';
import { route } from '../src/acd/router.ts';
import type { AgentSnapshot, WaitingCall } from '../src/acd/types.ts';
import { fmt, percentile, plainTable } from './lib/table.ts';

const { values: flags } = parseArgs({ options: { 'budget-ms': { type: 'string', default: '800' } } });
const budgetMs = Number(flags['budget-ms']);

let seed = 42;
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

function agents(n: number, availableShare: number, now: number): AgentSnapshot[] {
  return Array.from({ length: n }, (_, i) => {
    const skills: Record<string, number> = {};
    for (const s of SKILLS) if (rand() < 0.5) skills[s] = 1 + Math.floor(rand() * 10);
    const available = rand() < availableShare;
    return {
      id: `a${String(i).padStart(5, '0')}`, extension: String(10_000 + i), skills, groups: rand() < 0.5 ? ['sk'] : ['egou'],
      state: available ? 'available' : 'on-call', stateSince: now - Math.floor(rand() * 600_000),
      lastCallEndedAt: now - Math.floor(rand() * 600_000), answeredToday: Math.floor(rand() * 50),
      talkMsToday: Math.floor(rand() * 3_600_000), loggedInMsToday: 3_600_000 + Math.floor(rand() * 3_600_000),
    };
  });
}

function waiting(n: number, now: number, agentCount: number): WaitingCall[] {
  return Array.from({ length: n }, (_, i) => {
    const enteredAt = now - Math.floor(rand() * 400_000);
    const requeued = rand() < 0.02;
    const r = rand();
    return {
      id: `c${i}`, queue: queues[Math.floor(rand() * queues.length)]!.name, enteredAt, firstEnteredAt: enteredAt,
      priority: Math.floor(rand() * 3), customerType: r < 0.05 ? 'vip' : r < 0.3 ? 'returning' : 'new',
      lastAgentId: rand() < 0.1 ? `a${String(Math.floor(rand() * agentCount)).padStart(5, '0')}` : null, lastAgentAt: now - 60_000,
      skills: rand() < 0.2 ? ['payments'] : [], kind: 'call', requeuedAtFront: requeued,
      refusedBy: requeued ? [`a${String(Math.floor(rand() * agentCount)).padStart(5, '0')}`] : [],
    };
  });
}

const rows: (string | number)[][] = [];
const now = 10 * 3_600_000;
for (const w of [100, 1_000, 10_000]) {
  for (const a of [200, 2_000]) {
    for (const [label, share] of [['surge', 0.05], ['idle', 1]] as const) {
      const ag = agents(a, share, now);
      const calls = waiting(w, now, a);
      const times: number[] = [];
      let offers = 0;
      let decisions = 0;
      route({ queues, waiting: calls, agents: ag, now, rr: {} }); // warm-up
      const start = performance.now();
      while (performance.now() - start < budgetMs || times.length < 5) {
        const t0 = performance.now();
        const r = route({ queues, waiting: calls, agents: ag, now, rr: {} });
        times.push(performance.now() - t0);
        decisions += r.decisions.length;
        offers += r.decisions.filter((d) => d.kind === 'offer').length;
      }
      const total = times.reduce((s, t) => s + t, 0);
      rows.push([
        w, a, label, ag.filter((x) => x.state === 'available').length, times.length,
        Math.round(offers / times.length), Math.round(decisions / times.length),
        fmt(percentile(times, 50), 3), fmt(percentile(times, 99), 3),
        Math.round(decisions / (total / 1000)), Math.round(times.length / (total / 1000)),
      ]);
    }
  }
}
console.log(
  plainTable(
    [
      { title: 'waiting' }, { title: 'agents' }, { title: 'case', left: true }, { title: 'available' }, { title: 'batches' },
      { title: 'offers/batch' }, { title: 'decisions/batch' }, { title: 'p50 ms' }, { title: 'p99 ms' },
      { title: 'decisions/s' }, { title: 'batches/s' },
    ],
    rows,
  ),
);
