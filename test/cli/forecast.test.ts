/**
 * `surgeline forecast` run as the real CLI on a CSV of interval counts: a Double-11 learned
 * from last year lifts this year's, the next week follows the weekdays, the error of the last
 * held-out week is reported; CSV problems exit 2 naming the line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentsFor } from '../../src/planning/erlang.ts';
import { cli } from './run-cli.ts';

let dir: string;
let csv: string;
const LEVEL = [300, 1000, 950, 900, 900, 950, 400]; // Sun..Sat

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'surgeline-forecast-'));
  csv = path.join(dir, 'counts.csv');
  const lines = ['start,calls,aht_seconds'];
  // 2025-10-06 (a Monday) to 2025-11-16: six weeks of hourly counts, 09:00-21:00 local; the 11th is Double-11 (×3).
  for (let d = 0; d < 42; d++) {
    const date = new Date(Date.UTC(2025, 9, 6 + d));
    const ymd = date.toISOString().slice(0, 10);
    const total = LEVEL[date.getUTCDay()]! * (ymd === '2025-11-11' ? 3 : 1);
    for (let h = 0; h < 24; h++) {
      const open = h >= 9 && h < 21;
      lines.push(`${ymd} ${String(h).padStart(2, '0')}:00,${open ? (total / 12).toFixed(2) : 0},200`);
    }
  }
  writeFileSync(csv, lines.join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('forecast --json: weekdays, the learned Double-11 uplift, and the held-out error', async () => {
  const r = await cli(['forecast', '--csv', csv, '--interval', '60m', '--from', '2025-11-17', '--days', '7', '--events', '2025-11-11=double11', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { model: { uplift: Record<string, { factor: number; learnedFrom: number }> }; error: { mape: number; heldOutDays: number }; intervals: { day: string; time: string; calls: number; ahtSeconds: number }[] };
  assert.equal(got.intervals.length, 7 * 24);
  const day = (d: string): number => got.intervals.filter((iv) => iv.day === d).reduce((s, iv) => s + iv.calls, 0);
  assert.ok(Math.abs(day('2025-11-17') - 1000) < 20, `Monday ${day('2025-11-17')}`);
  assert.ok(Math.abs(day('2025-11-23') - 300) < 10, `Sunday ${day('2025-11-23')}`);
  assert.equal(got.intervals.find((iv) => iv.day === '2025-11-17' && iv.time === '03:00')?.calls, 0, 'closed at night');
  assert.ok(Math.abs(got.model.uplift['double11']!.factor - 3) < 0.1);
  assert.equal(got.error.heldOutDays, 6, 'the last week, less its Double-11: no earlier one to learn it from');
  assert.equal((got.error as { skippedEventDays?: number }).skippedEventDays, 1);
  assert.ok(got.error.mape < 0.02, `MAPE ${got.error.mape}`);
});

test('forecast (table): a future Double-11 with a given factor is named and lifted', async () => {
  const r = await cli(['forecast', '--csv', csv, '--interval', '1h', '--from', '2025-11-24', '--days', '1', '--events', '2025-11-11=double11,2025-11-24=sale', '--uplift', 'sale=2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /uplift sale: ×2\.00 \(given\)/);
  assert.match(r.stdout, /2025-11-24 {2}sale +20\d\d /);
});

test('bad CSV and options exit 2 naming them', async () => {
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, 'start,calls\n2025-11-01 09:00,12\n2025-11-01 10:00,-4\n');
  const r = await cli(['forecast', '--csv', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /line 3: calls "-4"/);
  const future = await cli(['forecast', '--csv', csv, '--interval', '60m', '--from', '2026-01-01', '--days', '1', '--events', '2026-01-01=launch']);
  assert.equal(future.code, 2);
  assert.match(future.stderr, /no past "launch" day/);
  assert.match((await cli(['forecast'])).stderr, /--csv is required/);
  assert.match((await cli(['forecast', '--csv', csv, '--interval', '20m'])).stderr, /15m, 30m or 60m/);
});

test('an undeclared Double-11 is left out of the fit and named in the table', async () => {
  const r = await cli(['forecast', '--csv', csv, '--interval', '60m', '--from', '2025-11-17', '--days', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /left out 2025-11-11: 3\.00× a usual day of its weekday; if it was an event, declare it \(--events 2025-11-11=<label>\)/);
});

test('staff --forecast: every interval of the forecast staffed, and --shifts covers them with the seeds’ shifts', async () => {
  const forecast = path.join(dir, 'forecast.json');
  const f = await cli(['forecast', '--csv', csv, '--interval', '60m', '--from', '2025-11-17', '--days', '2', '--events', '2025-11-11=double11', '--json']);
  assert.equal(f.code, 0, f.stderr);
  writeFileSync(forecast, f.stdout);
  const intervals = (JSON.parse(f.stdout) as { intervals: { calls: number; ahtSeconds: number }[] }).intervals;
  const r = await cli(['staff', '--forecast', forecast, '--interval', '60m', '--sl', '0.8', '--target', '20s', '--shrinkage', '0.25', '--shifts', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { intervals: { time: string; agents: number; scheduled: number }[]; shifts: { scheduled: number[]; shifts: { name: string; agents: number }[]; agentHours: number } };
  assert.equal(got.intervals.length, 48);
  const ten = intervals[10]!;
  const want = agentsFor({ arrivalRate: ten.calls / 3600, ahtSeconds: ten.ahtSeconds, targetSeconds: 20 }, 0.8).agents;
  assert.equal(got.intervals[10]!.agents, want, '10:00 staffed by Erlang C');
  assert.equal(got.intervals[10]!.scheduled, Math.ceil(want / 0.75));
  assert.equal(got.intervals[3]!.agents, 0, 'closed at night: nobody');
  got.intervals.forEach((iv, i) => assert.ok(got.shifts.scheduled[i]! >= iv.scheduled, `interval ${i} covered`));
  assert.deepEqual([...new Set(got.shifts.shifts.map((s) => s.name))].sort(), ['evening', 'morning']);
  const table = await cli(['staff', '--forecast', forecast, '--interval', '60m', '--sl', '0.8', '--target', '20s', '--shifts']);
  assert.match(table.stdout, /^day +calls +peak +agents +scheduled +agent-hours\n2025-11-17 +1000 /);
  assert.match(table.stdout, /day 1 +morning +08:00–16:00 +\d+ agents/);
  // The forecast is hourly: an --interval that disagrees is refused, not staffed at the wrong rate.
  const wrong = await cli(['staff', '--forecast', forecast, '--interval', '30m', '--sl', '0.8']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /the forecast's intervals are 60 minutes/);
  const inferred = JSON.parse((await cli(['staff', '--forecast', forecast, '--sl', '0.8', '--target', '20s', '--json'])).stdout) as { intervalMinutes: number; intervals: { agents: number }[] };
  assert.equal(inferred.intervalMinutes, 60, 'read from the forecast without --interval');
  assert.equal(inferred.intervals[10]!.agents, want);
  const lone = await cli(['staff', '--arrivals', '10', '--aht', '60s', '--sl', '0.8', '--shifts']);
  assert.equal(lone.code, 2);
  assert.match(lone.stderr, /--shifts needs --forecast/);
  const notForecast = await cli(['staff', '--forecast', csv, '--sl', '0.8']);
  assert.equal(notForecast.code, 2);
  assert.match(notForecast.stderr, /--forecast .*counts\.csv/);
});
