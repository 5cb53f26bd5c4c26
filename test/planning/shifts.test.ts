/**
 * Shift planning (min-cost flow over the interval-covering constraints): exact on hand
 * examples, equal to brute force on small random ones, never below the requirement; part-time
 * shifts and per-start limits change the plan as they should; bad input is named. Standby
 * tiers add what Erlang says each surge multiple needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planShifts, ShiftPlanError } from '../../src/planning/shifts.ts';
import { minCostFlow } from '../../src/planning/min-cost-flow.ts';
import { standbyTiers } from '../../src/planning/standby.ts';
import { agentsFor } from '../../src/planning/erlang.ts';

const THREE = [
  { name: 'morning', starts: ['08:00'], hours: 8 },
  { name: 'evening', starts: ['16:00'], hours: 8 },
  { name: 'night', starts: ['00:00'], hours: 8 },
];
const day = (f: (h: number) => number): number[] => Array.from({ length: 24 }, (_, h) => f(h));

test("the seeds' three shifts: each covers its third of the day with the most it needs", () => {
  const required = day((h) => (h < 8 ? 1 : h < 16 ? (h === 11 ? 5 : 2) : 3));
  const plan = planShifts({ required, intervalMinutes: 60, templates: THREE });
  assert.deepEqual(plan.shifts.map((s) => [s.name, s.start, s.end, s.agents]), [
    ['night', '00:00', '08:00', 1],
    ['morning', '08:00', '16:00', 5],
    ['evening', '16:00', '00:00 +1', 3],
  ]);
  assert.equal(plan.agentHours, 72);
  assert.equal(plan.requiredHours, 8 + 2 * 7 + 5 + 24);
  assert.ok(plan.scheduled.every((s, i) => s >= required[i]!));
});

test('part-time shifts take the peak for fewer hours; a per-start limit is kept', () => {
  const required = day((h) => (h < 8 ? 1 : h < 16 ? (h >= 11 && h < 13 ? 6 : 2) : 3));
  const full = planShifts({ required, intervalMinutes: 60, templates: THREE });
  const part = planShifts({ required, intervalMinutes: 60, templates: [...THREE, { name: 'part-time', starts: ['09:00', '10:00', '11:00', '12:00'], hours: 4 }] });
  assert.equal(full.agentHours, 8 * (1 + 6 + 3));
  assert.equal(part.agentHours, 8 * (1 + 2 + 3) + 4 * 4, 'four part-timers over the lunch peak instead of four more full shifts');
  const limited = planShifts({ required, intervalMinutes: 60, templates: [...THREE, { name: 'part-time', starts: ['11:00'], hours: 4, maxAgents: 1 }] });
  assert.equal(limited.shifts.find((s) => s.name === 'part-time')?.agents, 1);
  assert.equal(limited.agentHours, 8 * (1 + 5 + 3) + 4);
});

test('equal to brute force on small random days; coverage never falls short', () => {
  // Six 1-hour intervals, 2 h and 3 h shifts at every start: 11 offers, 0..3 agents each.
  const templates = [
    { name: 'two', starts: ['00:00', '01:00', '02:00', '03:00', '04:00', '05:00'], hours: 2 },
    { name: 'three', starts: ['00:00', '01:00', '02:00', '03:00', '04:00', '05:00'], hours: 3 },
  ];
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }), (head) => {
      const required = [...head, ...new Array<number>(18).fill(0)];
      const plan = planShifts({ required, intervalMinutes: 60, templates });
      assert.ok(plan.scheduled.every((s, i) => s >= required[i]!));
      // Brute force over x[start][len] ∈ 0..3 for starts 0..5 (shifts cut at the horizon still pay full hours).
      let best = Infinity;
      const x = new Array<number>(12).fill(0);
      const search = (k: number, cost: number): void => {
        if (cost >= best) return;
        if (k === 12) {
          for (let t = 0; t < 6; t++) {
            let on = 0;
            for (let s = 0; s <= t; s++) on += (t - s < 2 ? x[s]! : 0) + (t - s < 3 ? x[6 + s]! : 0);
            if (on < required[t]!) return;
          }
          best = cost;
          return;
        }
        for (let v = 0; v <= 3; v++) {
          x[k] = v;
          search(k + 1, cost + v * (k < 6 ? 2 : 3));
        }
        x[k] = 0;
      };
      search(0, 0);
      assert.equal(plan.agentHours, best, JSON.stringify(head));
    }),
    { numRuns: 40 },
  );
});

test('min-cost flow: a small network against its known optimum, and infeasibility', () => {
  // 0 → 1 → 3 (cost 1 + 1), 0 → 2 → 3 (cost 3 + 0), capacity 2 on the cheap path; 3 units.
  const arcs = [
    { from: 0, to: 1, cost: 1, capacity: 2 },
    { from: 1, to: 3, cost: 1, capacity: 5 },
    { from: 0, to: 2, cost: 3, capacity: 5 },
    { from: 2, to: 3, cost: 0, capacity: 5 },
  ];
  const r = minCostFlow(4, arcs, [3, 0, 0, -3]);
  assert.deepEqual(r.flow, [2, 2, 1, 1]);
  assert.equal(r.cost, 7);
  assert.throws(() => minCostFlow(4, arcs.slice(0, 2), [3, 0, 0, -3]), /only 2 of 3/);
});

test('bad input is named: an interval no shift covers, odd hours, a partial day', () => {
  const named = (f: () => unknown, input: string, re: RegExp): void =>
    assert.throws(f, (e: unknown) => e instanceof ShiftPlanError && e.input === input && re.test(e.message), input);
  named(() => planShifts({ required: day((h) => (h === 3 ? 2 : 0)), intervalMinutes: 60, templates: [THREE[0]!] }), 'required[3]', /day 0 03:00 needs 2 agents but no shift covers it/);
  named(() => planShifts({ required: day(() => 1), intervalMinutes: 60, templates: [{ name: 'x', starts: ['08:00'], hours: 7.5 }] }), 'templates[0].hours', /whole number/);
  named(() => planShifts({ required: [1, 2, 3], intervalMinutes: 60, templates: THREE }), 'required', /whole days/);
  named(() => planShifts({ required: day(() => 1), intervalMinutes: 60, templates: [{ name: 'x', starts: ['8am'], hours: 8 }] }), 'templates[0].starts', /HH:MM/);
  named(() => planShifts({ required: day(() => -1), intervalMinutes: 60, templates: THREE }), 'required[0]', /≥ 0/);
  named(() => planShifts({ required: day(() => 4), intervalMinutes: 60, templates: THREE.map((t) => ({ ...t, maxAgents: 3 })) }), 'templates', /cannot cover/);
});

test('standby tiers: each surge multiple adds what Erlang needs beyond the tiers before; heads with shrinkage', () => {
  const base = { arrivals: 360, intervalSeconds: 1800, ahtSeconds: 180, targetSeconds: 30, serviceLevel: 0.8 };
  const plan = standbyTiers({ ...base, multiples: [1.5, 2, 3], shrinkage: 0.2 });
  const need = (m: number): number => agentsFor({ arrivalRate: (360 * m) / 1800, ahtSeconds: 180, targetSeconds: 30 }, 0.8).agents;
  assert.equal(plan.needed, need(1));
  assert.deepEqual(plan.tiers.map((t) => t.needed), [need(1.5), need(2), need(3)]);
  assert.deepEqual(plan.tiers.map((t) => t.add), [need(1.5) - need(1), need(2) - need(1.5), need(3) - need(2)]);
  assert.deepEqual(plan.tiers.map((t) => t.addScheduled), plan.tiers.map((t) => Math.ceil(t.add / 0.8)));
  const roomy = standbyTiers({ ...base, multiples: [1.5, 2], baseAgents: need(1.5) + 2 });
  assert.equal(roomy.tiers[0]!.add, 0, 'a base already above the first tier needs no tier 1');
  assert.throws(() => standbyTiers({ ...base, multiples: [2, 1.5] }), /multiples\[1\]: must be above/);
});
