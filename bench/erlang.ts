/**
 * Erlang staffing speed (issue 5 target: 96 intervals × 100 queues in under 100 ms) and
 * single evaluations at 20,000 agents, Erlang C and Erlang A.
 *
 *   node --import tsx bench/erlang.ts
 *
 * Loads: each queue has a base rate and a day curve; AHT 120–300 s; target 80 % in 20 s.
 * Prints a plain table; no assertions (tests hold no timing).
 */
import { performance } from 'node:perf_hooks';
import { agentsFor, erlangA, erlangC } from '../src/planning/erlang.ts';
import { fmt, plainTable } from './lib/table.ts';

let seed = 7;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

function plan(patience: number | undefined): { ms: number; agents: number } {
  const t0 = performance.now();
  let agents = 0;
  for (let q = 0; q < 100; q++) {
    const base = 20 + rand() * 400; // calls per 30 min at the day's peak
    const aht = 120 + rand() * 180;
    for (let i = 0; i < 96; i++) {
      const curve = 0.1 + 0.9 * Math.max(0, Math.sin((Math.PI * (i - 28)) / 60)); // night low, day high
      const calls = Math.max(1, base * curve) / 2; // per 15 min
      agents += agentsFor({ arrivalRate: calls / 900, ahtSeconds: aht, targetSeconds: 20, ...(patience !== undefined ? { patienceSeconds: patience } : {}) }, 0.8).agents;
    }
  }
  return { ms: performance.now() - t0, agents };
}

function timeIt(f: () => unknown, runs: number): number {
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) f();
  return (performance.now() - t0) / runs;
}

const rows: string[][] = [];
for (const [label, patience] of [['Erlang C', undefined], ['Erlang A (patience 180 s)', 180]] as const) {
  plan(patience); // warm-up
  const runs = [plan(patience), plan(patience), plan(patience)];
  const best = Math.min(...runs.map((r) => r.ms));
  rows.push([`staffing 96 × 100 (${label})`, fmt(best, 1), String(runs[0]!.agents)]);
}
const big = { arrivalRate: 19_500 / 180, ahtSeconds: 180, agents: 20_000, targetSeconds: 20 };
rows.push(['one evaluation, 20,000 agents, Erlang C', fmt(timeIt(() => erlangC(big), 50), 3), '-']);
rows.push(['one evaluation, 20,000 agents, Erlang A', fmt(timeIt(() => erlangA({ ...big, patienceSeconds: 180 }), 5), 3), '-']);
console.log(plainTable([{ title: 'case', left: true }, { title: 'ms' }, { title: 'agent-intervals' }], rows));
