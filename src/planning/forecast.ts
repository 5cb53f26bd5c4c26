/**
 * Forecasting call volume and handle time per interval (C22; issue 5 §2). Pure: history in,
 * model and forecast out, days and times in the line's time zone.
 *
 * The model is the classic contact-centre decomposition, fitted on normal days only:
 *   calls(day, slot) = level(weekday) × trend(day) × share(weekday, slot) × uplift(event of day)
 * - level: the mean day total of each weekday, after the trend is taken out;
 * - trend: a straight line through the day totals divided by their weekday's mean
 *   (least squares), so growth of a few % a month carries into the forecast;
 * - share: the weekday's intraday profile (each slot's part of the day's calls);
 * - uplift: learned from past event days of the same label (actual day total over what a
 *   normal day would have had; their own intraday profile too: a Double-11 peaks at
 *   midnight), or given as a factor. A label with neither is an error, never a guess.
 * Handle time: the calls-weighted mean per weekday and slot, else per weekday, else overall.
 * Days that are no normal day but were not declared as events (a promotion nobody listed, a
 * half-day holiday) would bend the weekday levels and the trend: a day whose total is far from
 * its weekday's median (beyond 1.8× or below 1/1.8, and beyond five robust deviations of all
 * days) is left out of the fit and reported, so the user can declare it and learn its uplift.
 * `backtest` holds out the last days, fits on the rest and reports MAPE (and WAPE, which does
 * not blow up on quiet intervals) so a user knows how far to trust the forecast.
 */
import { timeOfDay } from './time-of-day.ts';
import { PlanningInputError } from './input-error.ts';
import { DAY_MS, instantOfWall, wallOf } from '../schedules/zone.ts';

export interface IntervalCount {
  /** Start of the interval, epoch ms. */
  readonly start: number;
  readonly calls: number;
  /** Mean handle time of the interval's answered calls, seconds. */
  readonly ahtSeconds?: number | undefined;
}

export interface ForecastOptions {
  readonly intervalMinutes: 15 | 30 | 60;
  readonly timeZone: string;
  /** Event days, past and future: YYYY-MM-DD (local) → label, e.g. { '2025-11-11': 'double11' }. */
  readonly events?: Readonly<Record<string, string>>;
  /** Given uplift factors by label; they win over learned ones. */
  readonly uplift?: Readonly<Record<string, number>>;
  /** Fit a trend; default true. */
  readonly trend?: boolean;
  /** Leave undeclared days far from their weekday out of the fit; default true. */
  readonly excludeOutliers?: boolean;
}

/** An undeclared day the fit left out: its total over the median total of its weekday. */
export interface OutlierDay {
  readonly date: string;
  readonly ratio: number;
}

export interface ForecastModel {
  readonly intervalMinutes: number;
  readonly timeZone: string;
  readonly slots: number;
  /** Mean day total per weekday (0 = Sunday), trend removed; NaN-free (falls back to all days). */
  readonly level: readonly number[];
  /** Trend factor = 1 + slopePerDay × (day − originDay). */
  readonly trend: { readonly originDay: number; readonly slopePerDay: number };
  readonly share: readonly (readonly number[])[];
  readonly aht: readonly (readonly number[])[];
  /** Per label: factor, the days it was learned from (0: given), and its own intraday profile if learned. */
  readonly uplift: Readonly<Record<string, { factor: number; days: number; share?: readonly number[] }>>;
  readonly events: Readonly<Record<string, string>>;
  /** Normal days the model was fitted on. */
  readonly days: number;
  /** Undeclared days left out of the fit as unlike their weekday. */
  readonly outliers: readonly OutlierDay[];
}

export interface IntervalForecast {
  readonly start: number;
  /** Local date, YYYY-MM-DD. */
  readonly day: string;
  /** Local time, HH:MM. */
  readonly time: string;
  readonly calls: number;
  readonly ahtSeconds: number;
  readonly event?: string;
}

export class ForecastInputError extends PlanningInputError {
  override readonly name = 'ForecastInputError';
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Local day number (days since 1970-01-01 local) and slot of an instant. */
function place(ms: number, tz: string, intervalMs: number): { day: number; slot: number } {
  const wall = wallOf(tz, ms);
  const day = Math.floor(wall / DAY_MS);
  return { day, slot: Math.floor((wall - day * DAY_MS) / intervalMs) };
}

export function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function dayOf(date: string, input = 'date'): number {
  if (!DATE.test(date)) throw new ForecastInputError(input, `expected YYYY-MM-DD, not ${JSON.stringify(date)}`);
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(ms) || dateOf(ms / DAY_MS) !== date) throw new ForecastInputError(input, `${date} is not a calendar date`);
  return ms / DAY_MS;
}

/** 0 = Sunday (1970-01-01 was a Thursday). */
const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7;

interface DayData {
  total: number;
  slots: Float64Array;
  ahtSum: Float64Array;
  ahtCalls: Float64Array;
}

function bucket(history: readonly IntervalCount[], opts: ForecastOptions): Map<number, DayData> {
  if (![15, 30, 60].includes(opts.intervalMinutes)) throw new ForecastInputError('intervalMinutes', `15, 30 or 60, not ${String(opts.intervalMinutes)}`);
  if (history.length === 0) throw new ForecastInputError('history', 'no intervals: there is nothing to learn from (import interval counts or pick a period with call records)');
  const intervalMs = opts.intervalMinutes * 60_000;
  const slots = DAY_MS / intervalMs;
  const days = new Map<number, DayData>();
  history.forEach((iv, i) => {
    if (!Number.isFinite(iv.start)) throw new ForecastInputError(`history[${i}].start`, 'not a time');
    if (!Number.isFinite(iv.calls) || iv.calls < 0) throw new ForecastInputError(`history[${i}].calls`, `must be a count ≥ 0, not ${String(iv.calls)}`);
    if (iv.ahtSeconds !== undefined && !(Number.isFinite(iv.ahtSeconds) && iv.ahtSeconds >= 0)) throw new ForecastInputError(`history[${i}].ahtSeconds`, `must be ≥ 0, not ${String(iv.ahtSeconds)}`);
    const { day, slot } = place(iv.start, opts.timeZone, intervalMs);
    let d = days.get(day);
    if (!d) {
      d = { total: 0, slots: new Float64Array(slots), ahtSum: new Float64Array(slots), ahtCalls: new Float64Array(slots) };
      days.set(day, d);
    }
    d.total += iv.calls;
    d.slots[slot]! += iv.calls;
    if (iv.ahtSeconds !== undefined && iv.calls > 0) {
      d.ahtSum[slot]! += iv.ahtSeconds * iv.calls;
      d.ahtCalls[slot]! += iv.calls;
    }
  });
  return days;
}

function eventsByDay(events: Readonly<Record<string, string>> | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const [date, label] of Object.entries(events ?? {})) {
    if (typeof label !== 'string' || label.trim() === '') throw new ForecastInputError(`events.${date}`, 'needs a label');
    out.set(dayOf(date, `events.${date}`), label);
  }
  return out;
}

/** Normalised profile: each slot's share of the sum; undefined when there is nothing. */
function normalise(sums: Float64Array): number[] | undefined {
  let total = 0;
  for (const v of sums) total += v;
  return total > 0 ? Array.from(sums, (v) => v / total) : undefined;
}

export function fit(history: readonly IntervalCount[], opts: ForecastOptions): ForecastModel {
  const days = bucket(history, opts);
  const events = eventsByDay(opts.events);
  const slots = DAY_MS / (opts.intervalMinutes * 60_000);
  const undeclared = [...days.entries()].filter(([d]) => !events.has(d)).sort((a, b) => a[0] - b[0]);
  if (undeclared.length === 0) throw new ForecastInputError('history', 'only event days: a normal day is needed to learn the baseline');
  const outliers = opts.excludeOutliers === false ? [] : outlierDays(undeclared);
  const left = new Set(outliers.map((o) => dayOf(o.date)));
  const normal = undeclared.filter(([d]) => !left.has(d));

  // Weekday means, then the trend of the totals relative to them, then the means again without it.
  const weekdayMean = (factor: (day: number) => number): number[] => {
    const sum = new Array<number>(7).fill(0);
    const n = new Array<number>(7).fill(0);
    for (const [d, data] of normal) {
      sum[weekday(d)]! += data.total / factor(d);
      n[weekday(d)]!++;
    }
    const all = normal.reduce((s, [d, data]) => s + data.total / factor(d), 0) / normal.length;
    return sum.map((s, w) => (n[w]! > 0 ? s / n[w]! : all));
  };
  let level = weekdayMean(() => 1);
  const originDay = normal.reduce((s, [d]) => s + d, 0) / normal.length;
  let slopePerDay = 0;
  if (opts.trend !== false && normal.length >= 14) {
    let sxy = 0;
    let sxx = 0;
    for (const [d, data] of normal) {
      const base = level[weekday(d)]!;
      if (base <= 0) continue;
      const x = d - originDay;
      sxy += x * (data.total / base - 1);
      sxx += x * x;
    }
    slopePerDay = sxx > 0 ? sxy / sxx : 0;
    const trendOf = (d: number): number => Math.max(0.05, 1 + slopePerDay * (d - originDay));
    level = weekdayMean(trendOf);
  }

  // Intraday profiles and handle times per weekday, with fallbacks to all normal days.
  const allSlots = new Float64Array(slots);
  const bySlots = Array.from({ length: 7 }, () => new Float64Array(slots));
  const ahtSum = Array.from({ length: 7 }, () => new Float64Array(slots));
  const ahtCalls = Array.from({ length: 7 }, () => new Float64Array(slots));
  let ahtAll = 0;
  let ahtAllCalls = 0;
  for (const [d, data] of normal) {
    const w = weekday(d);
    for (let s = 0; s < slots; s++) {
      bySlots[w]![s]! += data.slots[s]!;
      allSlots[s]! += data.slots[s]!;
      ahtSum[w]![s]! += data.ahtSum[s]!;
      ahtCalls[w]![s]! += data.ahtCalls[s]!;
      ahtAll += data.ahtSum[s]!;
      ahtAllCalls += data.ahtCalls[s]!;
    }
  }
  const flat = new Array<number>(slots).fill(1 / slots);
  const allShare = normalise(allSlots) ?? flat;
  const share = bySlots.map((s) => normalise(s) ?? allShare);
  const overallAht = ahtAllCalls > 0 ? ahtAll / ahtAllCalls : 0;
  const aht = ahtSum.map((sum, w) => {
    const calls = ahtCalls[w]!;
    let wSum = 0;
    let wCalls = 0;
    for (let s = 0; s < slots; s++) {
      wSum += sum[s]!;
      wCalls += calls[s]!;
    }
    const weekdayAht = wCalls > 0 ? wSum / wCalls : overallAht;
    return Array.from(sum, (v, s) => (calls[s]! > 0 ? v / calls[s]! : weekdayAht));
  });

  const model: ForecastModel = {
    intervalMinutes: opts.intervalMinutes,
    timeZone: opts.timeZone,
    slots,
    level,
    trend: { originDay, slopePerDay },
    share,
    aht,
    uplift: {},
    events: opts.events ?? {},
    days: normal.length,
    outliers,
  };

  // Uplift of each label from its past days: actual over the baseline of that day.
  const learned: Record<string, { factor: number; days: number; share?: readonly number[] }> = {};
  const byLabel = new Map<string, { ratios: number[]; slots: Float64Array }>();
  for (const [d, label] of events) {
    const data = days.get(d);
    if (!data) continue;
    const base = baseline(model, d);
    if (base <= 0) continue;
    const entry = byLabel.get(label) ?? { ratios: [], slots: new Float64Array(slots) };
    entry.ratios.push(data.total / base);
    for (let s = 0; s < slots; s++) entry.slots[s]! += data.slots[s]!;
    byLabel.set(label, entry);
  }
  for (const [label, e] of byLabel) {
    const profile = normalise(e.slots);
    learned[label] = { factor: e.ratios.reduce((a, b) => a + b, 0) / e.ratios.length, days: e.ratios.length, ...(profile ? { share: profile } : {}) };
  }
  for (const [label, factor] of Object.entries(opts.uplift ?? {})) {
    if (!(Number.isFinite(factor) && factor > 0)) throw new ForecastInputError(`uplift.${label}`, `must be a factor > 0, not ${String(factor)}`);
    learned[label] = { factor, days: 0, ...(learned[label]?.share ? { share: learned[label].share } : {}) };
  }
  return { ...model, uplift: learned };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Days far from their weekday: log(total / weekday median) beyond ln 1.8 and beyond five robust
 * standard deviations (1.4826 × MAD) of all days' log ratios. A weekday needs three days with
 * calls to have a median worth comparing with; a day with no calls at all is judged too (a
 * closed day is unlike a normal one).
 */
function outlierDays(days: readonly (readonly [number, DayData])[]): OutlierDay[] {
  const byWeekday = new Map<number, number[]>();
  for (const [d, data] of days) {
    const list = byWeekday.get(weekday(d)) ?? [];
    list.push(data.total);
    byWeekday.set(weekday(d), list);
  }
  const medians = new Map<number, number>();
  for (const [w, totals] of byWeekday) {
    const m = median(totals);
    if (totals.length >= 3 && m > 0) medians.set(w, m);
  }
  const logs: { day: number; ratio: number; log: number }[] = [];
  for (const [d, data] of days) {
    const m = medians.get(weekday(d));
    if (m === undefined) continue;
    const ratio = data.total / m;
    logs.push({ day: d, ratio, log: Math.log(Math.max(ratio, 1e-3)) });
  }
  if (logs.length < 7) return [];
  const centre = median(logs.map((l) => l.log));
  const spread = 1.4826 * median(logs.map((l) => Math.abs(l.log - centre)));
  const limit = Math.max(Math.log(1.8), 5 * spread);
  return logs.filter((l) => Math.abs(l.log - centre) > limit).map((l) => ({ date: dateOf(l.day), ratio: l.ratio }));
}

/** A normal day's expected total. */
function baseline(model: ForecastModel, day: number): number {
  const trend = Math.max(0.05, 1 + model.trend.slopePerDay * (day - model.trend.originDay));
  return model.level[weekday(day)]! * trend;
}

/** Interval forecasts for `days` local days from `fromDate` (YYYY-MM-DD). */
export function predict(model: ForecastModel, fromDate: string, days: number): IntervalForecast[] {
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new ForecastInputError('days', `1 to 366, not ${String(days)}`);
  const first = dayOf(fromDate, 'from');
  const events = eventsByDay(model.events);
  const intervalMs = model.intervalMinutes * 60_000;
  const out: IntervalForecast[] = [];
  for (let day = first; day < first + days; day++) {
    const label = events.get(day);
    const up = label === undefined ? undefined : model.uplift[label];
    if (label !== undefined && up === undefined) {
      throw new ForecastInputError(`events.${dateOf(day)}`, `no past "${label}" day in the history and no uplift given for it: give --uplift ${label}=<factor>`);
    }
    const total = baseline(model, day) * (up?.factor ?? 1);
    const share = up?.share ?? model.share[weekday(day)]!;
    for (let s = 0; s < model.slots; s++) {
      const wall = day * DAY_MS + s * intervalMs;
      const minutes = s * model.intervalMinutes;
      const start = instantOfWall(model.timeZone, wall);
      // A slot the clocks skip (spring forward) has no time of its own: it would share the next one's start.
      if (wallOf(model.timeZone, start) !== wall) continue;
      out.push({
        start,
        day: dateOf(day),
        time: timeOfDay(minutes),
        calls: total * share[s]!,
        ahtSeconds: model.aht[weekday(day)]![s]!,
        ...(label !== undefined ? { event: label } : {}),
      });
    }
  }
  return out;
}

export interface ForecastError {
  /** Mean absolute percentage error over intervals with calls (0.12 = 12 %). */
  readonly mape: number;
  /** Sum of absolute errors over the sum of actual calls: robust where intervals are quiet. */
  readonly wape: number;
  /** MAPE of the day totals. */
  readonly dailyMape: number;
  readonly heldOutDays: number;
  readonly intervals: number;
  /** backtest only: held-out event days left out, their label unseen before them. */
  readonly skippedEventDays?: number;
}

/** Compare forecasts with what happened, interval by interval (intervals with no actual count are skipped in MAPE). */
export function forecastError(forecast: readonly IntervalForecast[], actual: readonly IntervalCount[]): ForecastError {
  const byStart = new Map(actual.map((a) => [a.start, a.calls]));
  let apeSum = 0;
  let apeN = 0;
  let absErr = 0;
  let actualSum = 0;
  const dayF = new Map<string, number>();
  const dayA = new Map<string, number>();
  for (const f of forecast) {
    const a = byStart.get(f.start);
    if (a === undefined) continue;
    if (a > 0) {
      apeSum += Math.abs(f.calls - a) / a;
      apeN++;
    }
    absErr += Math.abs(f.calls - a);
    actualSum += a;
    dayF.set(f.day, (dayF.get(f.day) ?? 0) + f.calls);
    dayA.set(f.day, (dayA.get(f.day) ?? 0) + a);
  }
  let dailySum = 0;
  let dailyN = 0;
  for (const [day, a] of dayA) {
    if (a <= 0) continue;
    dailySum += Math.abs(dayF.get(day)! - a) / a;
    dailyN++;
  }
  if (apeN === 0) throw new ForecastInputError('actual', 'no interval with calls to compare with');
  return { mape: apeSum / apeN, wape: actualSum > 0 ? absErr / actualSum : 0, dailyMape: dailyN > 0 ? dailySum / dailyN : 0, heldOutDays: dayA.size, intervals: apeN };
}

/** Hold out the last `holdoutDays` days of the history, fit on the rest, and measure the forecast of them. */
export function backtest(history: readonly IntervalCount[], opts: ForecastOptions, holdoutDays = 7): ForecastError {
  const intervalMs = opts.intervalMinutes * 60_000;
  const dayOfIv = history.map((iv) => place(iv.start, opts.timeZone, intervalMs).day);
  const last = Math.max(...dayOfIv);
  const cut = last - holdoutDays + 1;
  const train = history.filter((_, i) => dayOfIv[i]! < cut);
  const test = history.filter((_, i) => dayOfIv[i]! >= cut);
  if (train.length === 0) throw new ForecastInputError('history', `covers ${holdoutDays} days or fewer: more history is needed to measure the forecast error`);
  const model = fit(train, opts);
  // An event day whose label the training days never saw cannot be forecast from them: it is
  // left out of the score (and counted), not guessed.
  const forecast: IntervalForecast[] = [];
  let skippedEventDays = 0;
  for (let d = cut; d <= last; d++) {
    const label = model.events[dateOf(d)];
    if (label !== undefined && model.uplift[label] === undefined) {
      skippedEventDays++;
      continue;
    }
    forecast.push(...predict(model, dateOf(d), 1));
  }
  return { ...forecastError(forecast, test), skippedEventDays };
}
