/**
 * From a forecast to a staffing plan (C22; issue 5 §3): the agents each forecast interval
 * needs for a service level (Erlang C, or A with patience), in heads with shrinkage, and the
 * requirement laid out as whole local days for the shift planner — a slot the forecast has no
 * interval for (the hour clocks skip in spring) needs nobody.
 */
import { agentsFor } from './erlang.ts';
import { PlanningInputError } from './input-error.ts';
import { dayOf, dateOf } from './forecast.ts';

export interface ForecastSlot {
  /** Local date, YYYY-MM-DD. */
  readonly day: string;
  /** Local time, HH:MM. */
  readonly time: string;
  readonly calls: number;
  readonly ahtSeconds: number;
}

export interface StaffedSlot extends ForecastSlot {
  readonly agents: number;
  /** Agents / (1 − shrinkage), rounded up: heads on the rota. */
  readonly scheduled: number;
  readonly serviceLevel: number | null;
}

export interface StaffingGoal {
  readonly intervalMinutes: number;
  /** 0–1: the share to answer within targetSeconds. */
  readonly serviceLevel: number;
  readonly targetSeconds: number;
  readonly patienceSeconds?: number | undefined;
  /** 0–0.9: the share of paid time not on the phones. */
  readonly shrinkage: number;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "HH:MM" → minutes after midnight; undefined when it is not one. */
export function minutesOfDay(time: string | undefined): number | undefined {
  const m = time === undefined ? null : TIME.exec(time);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export function staffForecast(slots: readonly ForecastSlot[], goal: StaffingGoal): StaffedSlot[] {
  if (!(goal.shrinkage >= 0 && goal.shrinkage <= 0.9)) throw new PlanningInputError('shrinkage', `0 to 0.9, not ${String(goal.shrinkage)}`);
  return slots.map((f, i) => {
    if (!(Number.isFinite(f.calls) && f.calls >= 0)) throw new PlanningInputError(`intervals[${i}].calls`, `must be ≥ 0, not ${String(f.calls)}`);
    if (f.calls === 0) return { ...f, agents: 0, scheduled: 0, serviceLevel: null };
    if (!(Number.isFinite(f.ahtSeconds) && f.ahtSeconds > 0)) throw new PlanningInputError(`intervals[${i}].ahtSeconds`, `must be > 0, not ${String(f.ahtSeconds)}`);
    const { agents, result } = agentsFor(
      { arrivalRate: f.calls / (goal.intervalMinutes * 60), ahtSeconds: f.ahtSeconds, targetSeconds: goal.targetSeconds, patienceSeconds: goal.patienceSeconds },
      goal.serviceLevel,
    );
    return { ...f, agents, scheduled: Math.ceil(agents / (1 - goal.shrinkage) - 1e-9), serviceLevel: result.serviceLevel };
  });
}

/** The scheduled heads as whole local days from the first slot's midnight, for planShifts. */
export function requiredByDay(slots: readonly StaffedSlot[], intervalMinutes: number): { firstDay: string; required: number[] } {
  if (slots.length === 0) throw new PlanningInputError('intervals', 'no intervals to staff');
  const perDay = 1440 / intervalMinutes;
  if (!Number.isInteger(perDay)) throw new PlanningInputError('intervalMinutes', `must divide a day, not ${String(intervalMinutes)}`);
  const days = slots.map((s, i) => dayOf(s.day, `intervals[${i}].day`));
  const first = Math.min(...days);
  const last = Math.max(...days);
  const required = new Array<number>((last - first + 1) * perDay).fill(0);
  slots.forEach((s, i) => {
    const minutes = minutesOfDay(s.time) ?? NaN;
    if (!(minutes % intervalMinutes === 0)) throw new PlanningInputError(`intervals[${i}].time`, `${s.time} is not the start of a ${intervalMinutes}-minute interval`);
    const at = (days[i]! - first) * perDay + minutes / intervalMinutes;
    required[at] = Math.max(required[at]!, s.scheduled);
  });
  return { firstDay: dateOf(first), required };
}

/** The interval of forecast slots, from the first two times of one day (undefined with fewer). */
export function forecastIntervalMinutes(slots: readonly { readonly day?: string | undefined; readonly time?: string | undefined }[]): number | undefined {
  for (let i = 1; i < slots.length; i++) {
    const [a, b] = [slots[i - 1]!, slots[i]!];
    if (a.day !== b.day) continue;
    const [x, y] = [minutesOfDay(a.time), minutesOfDay(b.time)];
    if (x !== undefined && y !== undefined && y > x) return y - x;
  }
  return undefined;
}
