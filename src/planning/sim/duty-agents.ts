/**
 * A staffing plan as the simulator's agents (issue 5 §4: "into the real queues and routing with
 * a staffing plan"): agents on duty per interval — the `scheduled` of a shift plan, or of
 * `surgeline staff --forecast` — become agents with shifts: agent j works every run of intervals
 * where more than j are on duty. Those on at the last interval stay until the callers still
 * waiting are served, as agents without shifts do.
 */
import { PlanningInputError } from '../input-error.ts';
import type { SimAgent } from './sim-input.ts';

export function dutyAgents(onDuty: readonly number[], intervalMinutes: number, like: { skills: Readonly<Record<string, number>>; groups: readonly string[] }): SimAgent[] {
  onDuty.forEach((n, i) => {
    if (!(Number.isInteger(n) && n >= 0)) throw new PlanningInputError(`agents[${i}]`, `a whole number ≥ 0, not ${String(n)}`);
  });
  const stepMs = intervalMinutes * 60_000;
  const most = Math.max(0, ...onDuty);
  if (most === 0) throw new PlanningInputError('agents', 'nobody on duty in any interval');
  return Array.from({ length: most }, (_, j) => {
    const shifts: { from: number; to: number }[] = [];
    for (let i = 0; i < onDuty.length; i++) {
      if (onDuty[i]! <= j) continue;
      const from = i;
      while (i + 1 < onDuty.length && onDuty[i + 1]! > j) i++;
      shifts.push({ from: from * stepMs, to: i === onDuty.length - 1 ? Infinity : (i + 1) * stepMs });
    }
    return { id: `duty-${j}`, skills: like.skills, groups: [...like.groups], shifts };
  });
}
