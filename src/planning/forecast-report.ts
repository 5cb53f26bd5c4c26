/**
 * One forecast as the API and the CLI report it: the model's summary, the error of the same
 * model on the last held-out days (or why it could not be measured), and the intervals of
 * the days asked for (default: from the day after the history).
 */
import { DAY_MS, wallOf } from '../schedules/zone.ts';
import { backtest, dateOf, fit, ForecastInputError, predict, type ForecastError, type ForecastOptions, type IntervalCount, type IntervalForecast, type OutlierDay } from './forecast.ts';

export interface ForecastReport {
  readonly model: { normalDays: number; trendPerDay: number; uplift: Record<string, { factor: number; learnedFrom: number }>; outliers: readonly OutlierDay[] };
  readonly error: ForecastError | { unavailable: string };
  readonly intervals: IntervalForecast[];
}

export function forecastReport(history: readonly IntervalCount[], opts: ForecastOptions, ask: { from?: string | undefined; days: number; holdoutDays: number }): ForecastReport {
  const model = fit(history, opts);
  const lastDay = Math.max(...history.map((iv) => Math.floor(wallOf(opts.timeZone, iv.start) / DAY_MS)));
  const intervals = predict(model, ask.from ?? dateOf(lastDay + 1), ask.days);
  let error: ForecastReport['error'];
  try {
    error = backtest(history, opts, ask.holdoutDays);
  } catch (err) {
    if (!(err instanceof ForecastInputError)) throw err;
    error = { unavailable: err.message };
  }
  return {
    model: {
      normalDays: model.days,
      trendPerDay: model.trend.slopePerDay,
      uplift: Object.fromEntries(Object.entries(model.uplift).map(([k, v]) => [k, { factor: v.factor, learnedFrom: v.days }])),
      outliers: model.outliers,
    },
    error,
    intervals,
  };
}
