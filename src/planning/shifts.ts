/**
 * Shift planning (C22; issue 5 §3): given the agents required per interval over a horizon of
 * whole days, choose how many agents start each shift (the seeds' morning, evening and night
 * shifts, part-time shifts at several starts) so that every interval is covered, with the
 * fewest paid agent-hours.
 *
 * Each shift covers consecutive intervals, so the covering constraints form an interval
 * matrix; differencing consecutive rows turns the problem into a minimum-cost flow (nodes =
 * interval boundaries, a shift = an arc from its end back to its start costing its hours, a
 * surplus agent = a free arc forward), whose optimum is integral (e.g. Bartholdi, Orlin,
 * Ratliff, "Cyclic scheduling via integer programs with circular ones", 1980). So the plan
 * is optimal, not a heuristic's. A per-start `maxAgents` (e.g. few part-timers) is an arc
 * capacity. Shifts are not wrapped around the horizon: a night shift starting on its last
 * day is cut at the end (and still paid in full).
 */
import { timeOfDay } from './time-of-day.ts';
import { PlanningInputError } from './input-error.ts';
import { InfeasibleFlowError, minCostFlow, type FlowArc } from './min-cost-flow.ts';

export interface ShiftTemplate {
  readonly name: string;
  /** Local start times, HH:MM; each is offered on every day of the horizon. */
  readonly starts: readonly string[];
  readonly hours: number;
  /** At most this many agents per start per day; default no limit. */
  readonly maxAgents?: number;
}

/** The seeds' shifts: morning 08:00, evening 16:00 and night 00:00, 8 h each. */
export const SEED_SHIFTS: readonly ShiftTemplate[] = [
  { name: 'morning', starts: ['08:00'], hours: 8 },
  { name: 'evening', starts: ['16:00'], hours: 8 },
  { name: 'night', starts: ['00:00'], hours: 8 },
];

export interface ShiftPlanInput {
  /** Agents required in each interval; the horizon starts at local midnight. */
  readonly required: readonly number[];
  readonly intervalMinutes: number;
  readonly templates: readonly ShiftTemplate[];
}

export interface PlannedShift {
  /** Day of the horizon, from 0. */
  readonly day: number;
  readonly name: string;
  readonly start: string;
  /** HH:MM, "+1" when it ends the next day. */
  readonly end: string;
  readonly agents: number;
}

export interface ShiftPlan {
  readonly shifts: PlannedShift[];
  /** Agents on shift in each interval (≥ required). */
  readonly scheduled: number[];
  /** Paid hours of all shifts. */
  readonly agentHours: number;
  /** Σ required × interval length: the hours a perfect fit would pay. */
  readonly requiredHours: number;
}

export class ShiftPlanError extends PlanningInputError {
  override readonly name = 'ShiftPlanError';
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const clock = (minutes: number): string => `${timeOfDay(minutes)}${minutes >= 1440 ? ' +1' : ''}`;

export function planShifts(input: ShiftPlanInput): ShiftPlan {
  const { required, intervalMinutes: step, templates } = input;
  if (!(Number.isInteger(step) && step > 0 && 1440 % step === 0)) throw new ShiftPlanError('intervalMinutes', `must divide a day, not ${String(step)}`);
  const perDay = 1440 / step;
  const T = required.length;
  if (T === 0 || T % perDay !== 0) throw new ShiftPlanError('required', `whole days of ${perDay} intervals, not ${T}`);
  required.forEach((r, i) => {
    if (!(Number.isInteger(r) && r >= 0)) throw new ShiftPlanError(`required[${i}]`, `a whole number of agents ≥ 0, not ${String(r)}`);
  });
  if (templates.length === 0) throw new ShiftPlanError('templates', 'at least one shift');

  // One arc per (day, template, start): from the end boundary back to the start boundary.
  const offers: { day: number; name: string; startMin: number; from: number; to: number; hours: number; cap: number }[] = [];
  templates.forEach((t, ti) => {
    if (!(t.hours > 0 && t.hours <= 24 && Number.isInteger((t.hours * 60) / step))) throw new ShiftPlanError(`templates[${ti}].hours`, `a whole number of ${step}-minute intervals up to 24 h, not ${String(t.hours)}`);
    if (t.maxAgents !== undefined && !(Number.isInteger(t.maxAgents) && t.maxAgents >= 0)) throw new ShiftPlanError(`templates[${ti}].maxAgents`, 'a whole number ≥ 0');
    if (t.starts.length === 0) throw new ShiftPlanError(`templates[${ti}].starts`, 'at least one start time');
    for (const s of t.starts) {
      const m = HHMM.exec(s);
      if (!m) throw new ShiftPlanError(`templates[${ti}].starts`, `HH:MM, not ${JSON.stringify(s)}`);
      const startMin = Number(m[1]) * 60 + Number(m[2]);
      if (startMin % step !== 0) throw new ShiftPlanError(`templates[${ti}].starts`, `${s} is not on a ${step}-minute boundary`);
      for (let day = 0; day < T / perDay; day++) {
        const from = day * perDay + startMin / step;
        offers.push({ day, name: t.name, startMin, from, to: Math.min(T, from + (t.hours * 60) / step), hours: t.hours, cap: t.maxAgents ?? Infinity });
      }
    }
  });
  // Say which interval no shift can cover, instead of an opaque "infeasible".
  const coverable = new Uint8Array(T);
  for (const o of offers) for (let i = o.from; i < o.to; i++) coverable[i] = 1;
  const gap = required.findIndex((r, i) => r > 0 && !coverable[i]);
  if (gap >= 0) throw new ShiftPlanError(`required[${gap}]`, `day ${Math.floor(gap / perDay)} ${clock((gap % perDay) * step)} needs ${required[gap]} agents but no shift covers it`);

  const arcs: FlowArc[] = offers.map((o) => ({ from: o.to, to: o.from, cost: o.hours, capacity: o.cap }));
  for (let t = 0; t < T; t++) arcs.push({ from: t, to: t + 1, cost: 0, capacity: Infinity });
  const supply = new Array<number>(T + 1).fill(0);
  for (let t = 0; t <= T; t++) supply[t] = (t > 0 ? required[t - 1]! : 0) - (t < T ? required[t]! : 0);

  let flow: number[];
  try {
    ({ flow } = minCostFlow(T + 1, arcs, supply));
  } catch (err) {
    if (err instanceof InfeasibleFlowError) throw new ShiftPlanError('templates', 'the shifts allowed (maxAgents) cannot cover the requirement');
    throw err;
  }
  const shifts: PlannedShift[] = [];
  const scheduled = new Array<number>(T).fill(0);
  let agentHours = 0;
  offers.forEach((o, i) => {
    const agents = Math.round(flow[i]!);
    if (agents === 0) return;
    shifts.push({ day: o.day, name: o.name, start: clock(o.startMin), end: clock(o.startMin + o.hours * 60), agents });
    for (let t = o.from; t < o.to; t++) scheduled[t]! += agents;
    agentHours += agents * o.hours;
  });
  shifts.sort((a, b) => a.day - b.day || a.start.localeCompare(b.start) || a.name.localeCompare(b.name));
  return { shifts, scheduled, agentHours, requiredHours: (required.reduce((s, r) => s + r, 0) * step) / 60 };
}

