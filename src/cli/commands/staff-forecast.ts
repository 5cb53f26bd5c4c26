/**
 * `surgeline staff --forecast forecast.json [--shifts]` (issue 5 §3): the agents every interval
 * of a forecast (the JSON of `surgeline forecast --json` or of POST /planning/forecast) needs for
 * the service level, and with --shifts the seeds' morning / evening / night shift plan that
 * covers them with the fewest agent-hours. Computed locally.
 */
import { PlanningInputError } from '../../planning/input-error.ts';
import { planShifts, SEED_SHIFTS, type ShiftPlan } from '../../planning/shifts.ts';
import { forecastIntervalMinutes, requiredByDay, staffForecast, type ForecastSlot, type StaffedSlot } from '../../planning/staffing-plan.ts';
import { ErlangInputError } from '../../planning/erlang.ts';
import { stringOpt, type ParsedArgs } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson } from '../output.ts';
import { durationSeconds, jsonFile } from '../option-values.ts';

async function forecastSlots(file: string): Promise<ForecastSlot[]> {
  const doc = await jsonFile('forecast', file);
  const intervals = (doc as { intervals?: unknown } | null)?.intervals;
  if (!Array.isArray(intervals) || intervals.length === 0) throw new UsageError(`--forecast ${file}: expected the JSON of a forecast, {"intervals":[{"day","time","calls","ahtSeconds"},…]}`);
  return intervals.map((iv: Record<string, unknown>, i) => {
    const { day, time, calls, ahtSeconds } = iv;
    if (typeof day !== 'string' || typeof time !== 'string' || typeof calls !== 'number' || typeof ahtSeconds !== 'number') {
      throw new UsageError(`--forecast ${file}: intervals[${i}] needs day, time, calls and ahtSeconds`);
    }
    return { day, time, calls, ahtSeconds };
  });
}

/** The forecast's own interval; --interval, when given, must agree with it (a 15-minute forecast staffed as 30 would need half the agents). */
function intervalOf(args: ParsedArgs, inferred: number | undefined): number {
  const given = stringOpt(args, 'interval');
  const minutes = given === undefined ? undefined : durationSeconds('interval', given) / 60;
  if (minutes !== undefined && !(Number.isInteger(minutes) && minutes > 0 && 1440 % minutes === 0)) throw new UsageError(`--interval ${given}: whole minutes that divide a day (e.g. 15m, 30m, 1h)`);
  if (minutes !== undefined && inferred !== undefined && minutes !== inferred) throw new UsageError(`--interval ${given}: the forecast's intervals are ${inferred} minutes`);
  return inferred ?? minutes ?? 30;
}

export async function staffFromForecast(args: ParsedArgs, file: string, serviceLevel: number, shrinkage: number): Promise<void> {
  const slots = await forecastSlots(file);
  const intervalMinutes = intervalOf(args, forecastIntervalMinutes(slots));
  const patience = stringOpt(args, 'patience');
  const goal = {
    intervalMinutes,
    serviceLevel,
    targetSeconds: durationSeconds('target', stringOpt(args, 'target') ?? '20s'),
    patienceSeconds: patience !== undefined ? durationSeconds('patience', patience) : undefined,
    shrinkage,
  };
  let staffed: StaffedSlot[];
  let plan: (ShiftPlan & { firstDay: string }) | undefined;
  try {
    staffed = staffForecast(slots, goal);
    if (args.values['shifts'] === true) {
      const { firstDay, required } = requiredByDay(staffed, intervalMinutes);
      plan = { firstDay, ...planShifts({ required, intervalMinutes, templates: SEED_SHIFTS }) };
    }
  } catch (err) {
    if (err instanceof PlanningInputError || err instanceof ErlangInputError) throw new UsageError(err.message);
    throw err;
  }
  if (args.json) return printJson({ intervalMinutes, shrinkage, intervals: staffed, ...(plan ? { shifts: plan } : {}) });
  out('day          calls  peak   agents  scheduled  agent-hours');
  for (let i = 0; i < staffed.length; ) {
    const day = staffed[i]!.day;
    const of = staffed.filter((s) => s.day === day);
    i += of.length;
    const peak = of.reduce((a, b) => (b.scheduled > a.scheduled ? b : a));
    const calls = of.reduce((s, f) => s + f.calls, 0);
    const hours = (of.reduce((s, f) => s + f.scheduled, 0) * intervalMinutes) / 60;
    out(`${day}  ${calls.toFixed(0).padStart(6)}  ${peak.time}  ${String(peak.agents).padStart(6)}  ${String(peak.scheduled).padStart(9)}  ${hours.toFixed(1).padStart(11)}`);
  }
  if (!plan) return;
  out('');
  out(`shifts (the seeds' morning 08:00, evening 16:00, night 00:00; 8 h), from ${plan.firstDay}:`);
  for (const s of plan.shifts) out(`  day ${s.day + 1}  ${s.name.padEnd(8)} ${s.start}–${s.end}  ${String(s.agents).padStart(5)} agents`);
  out(`paid ${plan.agentHours.toFixed(0)} agent-hours for ${plan.requiredHours.toFixed(1)} required (${((100 * plan.requiredHours) / Math.max(plan.agentHours, 1e-9)).toFixed(1)} % used)`);
}
