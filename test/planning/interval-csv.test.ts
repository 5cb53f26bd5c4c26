/**
 * Interval counts from CSV: zoned ISO and local times (in the given zone) give the same
 * instants; header, blank and # lines are skipped; each bad line is named by its number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIntervalCsv } from '../../src/planning/interval-csv.ts';
import { ForecastInputError } from '../../src/planning/forecast.ts';

test('zoned and local starts, optional AHT, header and comments', () => {
  const rows = parseIntervalCsv('start,calls,aht_seconds\n# Double-11 night\n2025-11-11T00:00:00+08:00,120,185\n\n2025-11-11 00:30,90\n2025-11-10T16:00:00Z,80,\n', 'Asia/Taipei');
  assert.deepEqual(rows, [
    { start: Date.parse('2025-11-10T16:00:00Z'), calls: 120, ahtSeconds: 185 },
    { start: Date.parse('2025-11-10T16:30:00Z'), calls: 90 },
    { start: Date.parse('2025-11-10T16:00:00Z'), calls: 80 },
  ]);
});

test('bad lines are named', () => {
  const bad = (text: string, re: RegExp): void => assert.throws(() => parseIntervalCsv(text, 'Asia/Taipei'), (e: unknown) => e instanceof ForecastInputError && re.test(e.message));
  bad('2025-11-11 09:00\n', /^line 1: expected start,calls/);
  bad('2025-11-11 09:00,3\n2025-13-01 09:00,4\n', /^line 2: start "2025-13-01 09:00"/);
  bad('2025-11-11 09:00,x\n', /^line 1: calls "x"/);
  bad('2025-11-11 09:00,3,-1\n', /^line 1: aht_seconds "-1"/);
  bad('2025-11-11,3\n', /^line 1: start/);
  bad('start,calls\n', /^csv: no interval lines/);
});
