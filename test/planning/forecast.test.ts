/**
 * Forecasting (src/planning/forecast.ts) on synthetic series with known structure: weekday
 * levels, an intraday profile, a linear trend and a past Double-11 with 3× the calls and a
 * midnight peak. Noise-free the model recovers them; with Poisson noise the held-out error
 * stays small; bad input is an error naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backtest, dayOf, fit, forecastError, ForecastInputError, predict, type IntervalCount } from '../../src/planning/forecast.ts';
import { instantOfWall, DAY_MS } from '../../src/schedules/zone.ts';

const TZ = 'Asia/Taipei';
const LEVEL = [600, 1200, 1100, 1050, 1000, 1150, 700]; // Sun..Sat
const SLOTS = 48;
/** Open 08:00–22:00 with a late-morning and an evening hump. */
const PROFILE = (() => {
  const raw = Array.from({ length: SLOTS }, (_, s) => {
    const h = s / 2;
    if (h < 8 || h >= 22) return 0.02;
    return 1 + 0.8 * Math.exp(-((h - 10.5) ** 2) / 3) + 0.6 * Math.exp(-((h - 20) ** 2) / 2);
  });
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
})();
const ELEVEN_PROFILE = (() => {
  const raw = PROFILE.map((v, s) => v + (s < 2 ? 0.3 : 0));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
})();

let seed = 11;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
/** Poisson(mean) by normal approximation above 30 (plenty here), Knuth below. */
function poisson(mean: number): number {
  if (mean > 30) {
    const z = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  let k = 0;
  for (let p = rand(), l = Math.exp(-mean); p > l; p *= rand()) k++;
  return k;
}

const FIRST = dayOf('2025-09-01');
const ELEVEN = dayOf('2025-11-11');
const SLOPE = 0.002; // +0.2 % a day

function series(days: number, noisy: boolean): IntervalCount[] {
  const out: IntervalCount[] = [];
  for (let d = FIRST; d < FIRST + days; d++) {
    const w = (((d + 4) % 7) + 7) % 7;
    const eleven = d === ELEVEN;
    const total = LEVEL[w]! * (1 + SLOPE * (d - FIRST)) * (eleven ? 3 : 1);
    const profile = eleven ? ELEVEN_PROFILE : PROFILE;
    for (let s = 0; s < SLOTS; s++) {
      const mean = total * profile[s]!;
      out.push({ start: instantOfWall(TZ, d * DAY_MS + s * 1_800_000), calls: noisy ? poisson(mean) : mean, ahtSeconds: 180 + (s >= 40 ? 60 : 0) });
    }
  }
  return out;
}

const opts = { intervalMinutes: 30 as const, timeZone: TZ, events: { '2025-11-11': 'double11', '2026-11-11': 'double11' } };

test('noise-free: weekday levels, profile, trend and AHT come back; the forecast of the next week is within 1 %', () => {
  const history = series(84, false);
  const model = fit(history.filter((iv) => iv.start < instantOfWall(TZ, (FIRST + 77) * DAY_MS)), opts);
  assert.ok(Math.abs(model.trend.slopePerDay / (SLOPE / (1 + SLOPE * 38)) - 1) < 0.1, `trend ${model.trend.slopePerDay}`);
  const week = predict(model, '2025-11-17', 7);
  assert.equal(week.length, 7 * SLOTS);
  assert.equal(week[0]!.time, '00:00');
  assert.equal(week[21]!.time, '10:30');
  const err = forecastError(week, history);
  assert.ok(err.mape < 0.01 && err.dailyMape < 0.01, `MAPE ${err.mape}, daily ${err.dailyMape}`);
  const monday = week.filter((f) => f.day === '2025-11-17').reduce((s, f) => s + f.calls, 0);
  const sunday = week.filter((f) => f.day === '2025-11-23').reduce((s, f) => s + f.calls, 0);
  assert.ok(Math.abs(monday / sunday - (1200 / 600) * ((1 + SLOPE * 77) / (1 + SLOPE * 83))) < 0.02, `Monday/Sunday ${monday / sunday}`);
  assert.ok(Math.abs(week[45]!.ahtSeconds - 240) < 1e-9, 'evening AHT');
  assert.ok(Math.abs(week[10]!.ahtSeconds - 180) < 1e-9);
});

test('event uplift: learned from the past Double-11 (3×, midnight peak) and applied to the next one; a given factor wins', () => {
  const history = series(84, false);
  const model = fit(history, opts);
  const learned = model.uplift['double11'];
  assert.ok(learned && Math.abs(learned.factor - 3) < 0.05 && learned.days === 1, `learned ${JSON.stringify(learned?.factor)}`);
  const day = predict(model, '2026-11-11', 1);
  assert.equal(day[0]!.event, 'double11');
  const normal = predict(model, '2026-11-04', 1); // a Wednesday as well
  const total = (xs: typeof day): number => xs.reduce((s, f) => s + f.calls, 0);
  assert.ok(total(day) / total(normal) > 2.7, `uplifted ${total(day) / total(normal)}`);
  assert.ok(day[0]!.calls > day[20]!.calls, 'the event profile: the midnight rush');
  const given = fit(history, { ...opts, uplift: { double11: 5 } });
  assert.equal(given.uplift['double11']!.factor, 5);
});

test('with Poisson noise: the held-out week (after the Double-11) is forecast within a few %; the error is reported', () => {
  const history = series(84, true);
  const err = backtest(history, opts, 7);
  assert.equal(err.heldOutDays, 7);
  // Poisson noise alone puts ~14 % on each interval: the true means score this against the same noisy counts.
  const truth = series(84, false);
  const ideal = forecastError(
    truth.slice(77 * SLOTS).map((iv) => {
      const day = Math.floor((iv.start + 8 * 3_600_000) / DAY_MS);
      const minutes = ((iv.start + 8 * 3_600_000) % DAY_MS) / 60_000;
      return { start: iv.start, day: String(day), time: String(minutes), calls: iv.calls, ahtSeconds: 0 };
    }),
    history,
  );
  assert.ok(err.wape < ideal.wape * 1.1, `WAPE ${err.wape} vs ${ideal.wape} for the true means`);
  assert.ok(err.dailyMape < 0.05, `daily MAPE ${err.dailyMape}`);
  assert.ok(err.mape < 0.5, `interval MAPE ${err.mape} (quiet night intervals weigh in)`);
  // The measure can tell a bad forecast: the same week shifted by a day (weekdays wrong) is far off.
  const model = fit(history.filter((iv) => iv.start < instantOfWall(TZ, (FIRST + 77) * DAY_MS)), opts);
  const shifted = predict(model, '2025-11-16', 7).map((f, i, all) => ({ ...f, start: all[(i + SLOTS) % all.length]!.start }));
  assert.ok(forecastError(shifted, history).dailyMape > 4 * err.dailyMape, 'a wrong forecast scores worse');
});

test('an undeclared Double-11 and a half-closed day are left out and named; declared, the same fit; no false alarms on noise', () => {
  const history = series(84, false).map((iv) => {
    // 2025-10-10 (a Friday holiday): 40 % of the usual calls.
    const day = Math.floor((iv.start + 8 * 3_600_000) / DAY_MS);
    return day === dayOf('2025-10-10') ? { ...iv, calls: iv.calls * 0.4 } : iv;
  });
  const undeclared = { intervalMinutes: 30 as const, timeZone: TZ };
  const model = fit(history, undeclared);
  assert.deepEqual(model.outliers.map((o) => o.date), ['2025-10-10', '2025-11-11']);
  assert.ok(Math.abs(model.outliers[1]!.ratio - 3) < 0.2, `ratio ${model.outliers[1]!.ratio}`);
  const declared = fit(history, { ...undeclared, events: { '2025-11-11': 'double11', '2025-10-10': 'holiday' } });
  assert.deepEqual(declared.outliers, []);
  assert.ok(Math.abs(model.trend.slopePerDay / declared.trend.slopePerDay - 1) < 0.02, `trend ${model.trend.slopePerDay} vs ${declared.trend.slopePerDay}`);
  assert.ok(Math.abs(model.level[2]! / declared.level[2]! - 1) < 0.01, 'Tuesday level as if declared');
  // Kept in, the 3× day bends Tuesday's level by a quarter and more.
  const kept = fit(history, { ...undeclared, excludeOutliers: false });
  assert.ok(kept.level[2]! / declared.level[2]! > 1.15, `kept: Tuesday ${kept.level[2]} vs ${declared.level[2]}`);
  assert.deepEqual(fit(series(84, true), opts).outliers, [], 'Poisson noise is no outlier');
  assert.deepEqual(fit(series(84, false), opts).outliers, []);
});

test('a day the clocks spring forward has no interval for the skipped hour (each start once)', () => {
  const berlin = { intervalMinutes: 60 as const, timeZone: 'Europe/Berlin' };
  const history: IntervalCount[] = [];
  for (let d = dayOf('2026-02-01'); d < dayOf('2026-03-15'); d++) for (let h = 0; h < 24; h++) history.push({ start: instantOfWall('Europe/Berlin', d * DAY_MS + h * 3_600_000), calls: 10 });
  const day = predict(fit(history, berlin), '2026-03-29', 1);
  assert.equal(day.length, 23);
  assert.equal(new Set(day.map((f) => f.start)).size, 23);
  assert.ok(!day.some((f) => f.time === '02:00'), 'no 02:00 on the day clocks go from 02:00 to 03:00');
});

test('bad input: each a clear error naming the input, never NaN', () => {
  const err = (f: () => unknown, input: string): void => assert.throws(f, (e: unknown) => e instanceof ForecastInputError && e.input === input, input);
  err(() => fit([], opts), 'history');
  err(() => fit([{ start: 0, calls: -3 }], opts), 'history[0].calls');
  err(() => fit([{ start: 0, calls: 1 }], { ...opts, intervalMinutes: 20 as never }), 'intervalMinutes');
  err(() => fit(series(14, false), { ...opts, events: { '2025-02-30': 'x' } }), 'events.2025-02-30');
  const model = fit(series(14, false), { ...opts, events: { '2025-09-20': 'launch' } });
  err(() => predict(model, '2025-09-20', 1), 'events.2025-09-20'); // no past launch day in the history and no factor
  err(() => predict(model, '2025-10-01', 0), 'days');
  err(() => backtest(series(7, false), opts, 7), 'history');
});
