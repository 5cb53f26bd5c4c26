/**
 * The post-event review (src/planning/review.ts) walks the local intervals of its zone, the
 * ones the queue records are counted in and the forecast is made for: in Kathmandu (+5:45) an
 * hour starts at :15 past a UTC one, and each interval meets its actual counts and its forecast
 * by start. A day the clocks are turned back has one 02:00 (holding both runs), a day they jump
 * forward has none; Taipei's intervals are the epoch's, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fit, predict, type IntervalCount } from '../../src/planning/forecast.ts';
import { review, type ActualInterval } from '../../src/planning/review.ts';

const H = 3_600_000;
const at = (iso: string): number => Date.parse(iso);
const actual = (start: string, offered: number, within = offered): ActualInterval => ({ start: at(start), offered, answered: offered, within, abandoned: 0 });

test('Asia/Kathmandu: local hours from :15 past UTC ones, met by the actual counts and the forecast of the same start', () => {
  const timeZone = 'Asia/Kathmandu';
  // Two weeks of two calls at 10:00 local (04:15Z) each day.
  const history: IntervalCount[] = Array.from({ length: 14 }, (_, d) => ({ start: at('2025-10-27T04:15:00Z') + d * 24 * H, calls: 2, ahtSeconds: 120 }));
  const forecast = predict(fit(history, { intervalMinutes: 60, timeZone, trend: false }), '2025-11-10', 1);
  const r = review({
    from: at('2025-11-09T18:15:00Z'), // 2025-11-10 00:00 local
    to: at('2025-11-10T18:15:00Z'),
    intervalMinutes: 60,
    timeZone,
    target: 0.8,
    actual: [actual('2025-11-10T04:15:00Z', 6, 3), actual('2025-11-10T05:15:00Z', 1)],
    forecast,
  });
  assert.equal(r.intervals.length, 24);
  assert.deepEqual(r.intervals.map((i) => i.time), Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`));
  assert.ok(r.intervals.every((i) => i.day === '2025-11-10' && new Date(i.start).getUTCMinutes() === 15));
  const ten = r.intervals.find((i) => i.time === '10:00')!;
  assert.deepEqual([new Date(ten.start).toISOString(), ten.offered, ten.serviceLevel, ten.shortfall], ['2025-11-10T04:15:00.000Z', 6, 0.5, 0.8 - 0.5]);
  assert.ok(Math.abs(ten.forecast! - 2) < 1e-9, `forecast ${ten.forecast}`);
  assert.equal(r.totals.offered, 7);
  assert.ok(Math.abs(r.totals.forecast! - 2) < 1e-9, 'every forecast interval met one of the review');
  assert.deepEqual(r.worst.map((i) => i.time), ['10:00']);
});

test('Europe/Berlin: the day the clocks go back has one 02:00 of two hours, the day they jump has no 02:00', () => {
  const timeZone = 'Europe/Berlin';
  const autumn = review({ from: at('2025-10-25T22:00:00Z'), to: at('2025-10-26T23:00:00Z'), intervalMinutes: 60, timeZone, target: 0.8, actual: [actual('2025-10-26T00:00:00Z', 4)] });
  assert.equal(autumn.intervals.length, 24);
  assert.deepEqual(autumn.intervals.slice(1, 4).map((i) => [i.time, new Date(i.start).toISOString()]), [
    ['01:00', '2025-10-25T23:00:00.000Z'],
    ['02:00', '2025-10-26T00:00:00.000Z'],
    ['03:00', '2025-10-26T02:00:00.000Z'],
  ]);
  assert.equal(autumn.intervals.find((i) => i.time === '02:00')!.offered, 4);

  const spring = review({ from: at('2025-03-29T23:00:00Z'), to: at('2025-03-30T22:00:00Z'), intervalMinutes: 60, timeZone, target: 0.8, actual: [actual('2025-03-30T01:00:00Z', 2)] });
  assert.equal(spring.intervals.length, 23);
  assert.deepEqual(spring.intervals.slice(1, 3).map((i) => [i.time, new Date(i.start).toISOString(), i.offered]), [
    ['01:00', '2025-03-30T00:00:00.000Z', 0],
    ['03:00', '2025-03-30T01:00:00.000Z', 2],
  ]);
});

test('Asia/Taipei: the epoch-aligned intervals, from the one holding `from`', () => {
  const r = review({ from: at('2025-11-09T16:20:00Z'), to: at('2025-11-09T18:00:00Z'), intervalMinutes: 30, timeZone: 'Asia/Taipei', target: 0.8, actual: [actual('2025-11-09T16:00:00Z', 1)] });
  assert.deepEqual(r.intervals.map((i) => [new Date(i.start).toISOString(), i.day, i.time, i.offered]), [
    ['2025-11-09T16:00:00.000Z', '2025-11-10', '00:00', 1],
    ['2025-11-09T16:30:00.000Z', '2025-11-10', '00:30', 0],
    ['2025-11-09T17:00:00.000Z', '2025-11-10', '01:00', 0],
    ['2025-11-09T17:30:00.000Z', '2025-11-10', '01:30', 0],
  ]);
});
