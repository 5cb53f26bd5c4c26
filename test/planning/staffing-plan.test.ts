/**
 * From forecast intervals to a staffing plan (src/planning/staffing-plan.ts): each interval by
 * Erlang, heads with shrinkage, whole local days for the shift planner (a slot the clocks skip
 * needs nobody), and bad input named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentsFor } from '../../src/planning/erlang.ts';
import { PlanningInputError } from '../../src/planning/input-error.ts';
import { requiredByDay, staffForecast } from '../../src/planning/staffing-plan.ts';

const goal = { intervalMinutes: 60, serviceLevel: 0.8, targetSeconds: 30, shrinkage: 0.3 };

test('each interval staffed by Erlang (A with patience), scheduled with shrinkage; no calls, nobody', () => {
  const slots = [
    { day: '2026-11-11', time: '00:00', calls: 900, ahtSeconds: 200 },
    { day: '2026-11-11', time: '01:00', calls: 0, ahtSeconds: 0 },
  ];
  const [busy, quiet] = staffForecast(slots, { ...goal, patienceSeconds: 90 });
  const want = agentsFor({ arrivalRate: 900 / 3600, ahtSeconds: 200, targetSeconds: 30, patienceSeconds: 90 }, 0.8);
  assert.equal(busy!.agents, want.agents);
  assert.equal(busy!.scheduled, Math.ceil(want.agents / 0.7));
  assert.ok(busy!.serviceLevel! >= 0.8);
  assert.deepEqual([quiet!.agents, quiet!.scheduled, quiet!.serviceLevel], [0, 0, null]);
});

test('whole local days from the first midnight; a skipped hour is a zero, not a shift', () => {
  // 2026-03-29 in Berlin: no 02:00. Two days of hourly slots, the second starting later in the day.
  const day1 = Array.from({ length: 24 }, (_, h) => ({ day: '2026-03-29', time: `${String(h).padStart(2, '0')}:00`, calls: 0, ahtSeconds: 180, agents: 0, scheduled: h + 1, serviceLevel: null })).filter((s) => s.time !== '02:00');
  const day2 = [{ day: '2026-03-30', time: '10:00', calls: 0, ahtSeconds: 180, agents: 0, scheduled: 7, serviceLevel: null }];
  const { firstDay, required } = requiredByDay([...day1, ...day2], 60);
  assert.equal(firstDay, '2026-03-29');
  assert.equal(required.length, 48);
  assert.deepEqual(required.slice(0, 4), [1, 2, 0, 4]);
  assert.equal(required[24 + 10], 7);
  assert.equal(required[24 + 9], 0);
});

test('bad input is named', () => {
  const named = (f: () => unknown, input: string): void => assert.throws(f, (e: unknown) => e instanceof PlanningInputError && e.input === input, input);
  named(() => staffForecast([{ day: '2026-11-11', time: '00:00', calls: -1, ahtSeconds: 180 }], goal), 'intervals[0].calls');
  named(() => staffForecast([{ day: '2026-11-11', time: '00:00', calls: 5, ahtSeconds: 0 }], goal), 'intervals[0].ahtSeconds');
  named(() => staffForecast([], { ...goal, shrinkage: 0.95 }), 'shrinkage');
  named(() => requiredByDay([{ day: '2026-11-11', time: '00:30', calls: 1, ahtSeconds: 1, agents: 1, scheduled: 1, serviceLevel: 1 }], 60), 'intervals[0].time');
  named(() => requiredByDay([{ day: '2026-13-11', time: '00:00', calls: 1, ahtSeconds: 1, agents: 1, scheduled: 1, serviceLevel: 1 }], 60), 'intervals[0].day');
  named(() => requiredByDay([], 60), 'intervals');
});
