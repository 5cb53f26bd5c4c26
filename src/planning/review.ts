/**
 * The post-event review (C22; issue 5 §6): for a past period, per interval, what was forecast
 * against what came, and the service level each interval reached against the target — where
 * it fell short and by how much — with the totals and the worst intervals first. Pure: the
 * forecast and the actual counts come in.
 */
import { DAY_MS, instantOfWall, wallOf } from '../schedules/zone.ts';
import { dateOf, type IntervalForecast } from './forecast.ts';
import { PlanningInputError } from './input-error.ts';
import { timeOfDay } from './time-of-day.ts';

export interface ActualInterval {
  readonly start: number;
  readonly offered: number;
  readonly answered: number;
  /** Answered within the target. */
  readonly within: number;
  readonly abandoned: number;
}

export interface ReviewedInterval {
  readonly start: number;
  readonly day: string;
  readonly time: string;
  readonly forecast: number | null;
  readonly offered: number;
  readonly answered: number;
  readonly abandoned: number;
  readonly serviceLevel: number | null;
  /** Target − service level where it fell short (0.12 = 12 points below), else 0; null without calls. */
  readonly shortfall: number | null;
}

export interface Review {
  readonly intervals: ReviewedInterval[];
  readonly totals: {
    forecast: number | null;
    offered: number;
    answered: number;
    abandoned: number;
    serviceLevel: number | null;
    /** Over intervals with calls: mean |forecast − actual| / actual, and Σ|e| / Σ actual. */
    forecastError: { mape: number; wape: number } | null;
    intervalsWithCalls: number;
    intervalsBelowTarget: number;
  };
  /** The intervals furthest below target, worst first (at most 10). */
  readonly worst: ReviewedInterval[];
}

export function review(input: {
  from: number;
  to: number;
  intervalMinutes: number;
  timeZone: string;
  /** The service level to reach, 0–1 (e.g. 0.8). */
  target: number;
  actual: readonly ActualInterval[];
  forecast?: readonly IntervalForecast[] | undefined;
}): Review {
  const step = input.intervalMinutes * 60_000;
  if (!(input.to > input.from)) throw new PlanningInputError('to', 'must be after from');
  if ((input.to - input.from) / step > 20_000) throw new PlanningInputError('to', 'at most 20,000 intervals in one review');
  if (!(input.target > 0 && input.target < 1)) throw new PlanningInputError('serviceLevel', `between 0 and 1, not ${input.target}`);
  const actual = new Map(input.actual.map((a) => [a.start, a]));
  const forecast = input.forecast ? new Map(input.forecast.map((f) => [f.start, f.calls])) : undefined;
  const intervals: ReviewedInterval[] = [];
  let apeSum = 0;
  let apeN = 0;
  let absErr = 0;
  let actualWithForecast = 0;
  let forecastTotal = 0;
  // The zone's local intervals, as the forecast's and the queue records' are (not the epoch's,
  // which in +5:45 or +5:30 straddle local ones): each starts when its wall-clock time first
  // occurs, so one the clocks skip has no time and is left out, and the repeated one of a clock
  // turned back holds both runs.
  let wall = Math.floor(wallOf(input.timeZone, input.from) / step) * step;
  for (let start = instantOfWall(input.timeZone, wall); start < input.to; wall += step) {
    const next = instantOfWall(input.timeZone, wall + step);
    if (next === start) continue;
    const a = actual.get(start) ?? { offered: 0, answered: 0, within: 0, abandoned: 0 };
    const f = forecast ? (forecast.get(start) ?? 0) : null;
    const day = Math.floor(wall / DAY_MS);
    const serviceLevel = a.offered > 0 ? a.within / a.offered : null;
    if (f !== null) {
      forecastTotal += f;
      absErr += Math.abs(f - a.offered);
      actualWithForecast += a.offered;
      if (a.offered > 0) {
        apeSum += Math.abs(f - a.offered) / a.offered;
        apeN++;
      }
    }
    intervals.push({
      start,
      day: dateOf(day),
      time: timeOfDay(Math.round((wall - day * DAY_MS) / 60_000)),
      forecast: f,
      offered: a.offered,
      answered: a.answered,
      abandoned: a.abandoned,
      serviceLevel,
      shortfall: serviceLevel === null ? null : Math.max(0, input.target - serviceLevel),
    });
    start = next;
  }
  const withCalls = intervals.filter((i) => i.offered > 0);
  const offered = withCalls.reduce((s, i) => s + i.offered, 0);
  const within = input.actual.filter((a) => a.start >= input.from && a.start < input.to).reduce((s, a) => s + a.within, 0);
  const below = withCalls.filter((i) => (i.shortfall ?? 0) > 0);
  return {
    intervals,
    totals: {
      forecast: forecast ? forecastTotal : null,
      offered,
      answered: withCalls.reduce((s, i) => s + i.answered, 0),
      abandoned: withCalls.reduce((s, i) => s + i.abandoned, 0),
      serviceLevel: offered > 0 ? within / offered : null,
      forecastError: forecast && apeN > 0 ? { mape: apeSum / apeN, wape: actualWithForecast > 0 ? absErr / actualWithForecast : 0 } : null,
      intervalsWithCalls: withCalls.length,
      intervalsBelowTarget: below.length,
    },
    worst: [...below].sort((x, y) => (y.shortfall ?? 0) - (x.shortfall ?? 0) || x.start - y.start).slice(0, 10),
  };
}
