/**
 * Profiles written as text (src/planning/sim/profile-file.ts): counts per line or `start,calls`
 * CSV, a header and comments allowed; a blank line between counts, an interval skipped, a start
 * off the interval or a negative count is an error naming the line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlanningInputError } from '../../src/planning/input-error.ts';
import { parseProfileText } from '../../src/planning/sim/profile-file.ts';

test('counts per line, or start,calls with a header and comments; trailing blank lines are fine', () => {
  assert.deepEqual(parseProfileText('10\n20\n# the step\n200\n\n\n', 30), [10, 20, 200]);
  const csv = 'start,calls\n2026-11-11 00:00,120\n2026-11-11 00:30,80.5\n# quiet\n2026-11-11T01:00+00:00,0\n';
  assert.deepEqual(parseProfileText(csv, 30), [120, 80.5, 0]);
  assert.deepEqual(parseProfileText('2026-11-11T08:00+08:00,5\r\n2026-11-11T09:00+08:00,6\r\n', 60), [5, 6]);
  assert.deepEqual(parseProfileText('# exported 2026-11-12\nstart,calls\n2026-11-11 00:00,7\n', 30), [7], 'a header after a comment');
});

test('a missing interval, a blank line in the middle, a start off the interval, a bad count: named by line', () => {
  const named = (text: string, minutes: number, input: string, re: RegExp): void =>
    assert.throws(() => parseProfileText(text, minutes), (e: unknown) => e instanceof PlanningInputError && e.input === input && re.test(e.message), input);
  named('start,calls\n2026-11-11 00:00,1\n2026-11-11 01:30,2\n', 30, 'line 3', /2 interval\(s\) missing after line 2/);
  named('10\n\n20\n', 30, 'line 2', /empty: every interval needs a count/);
  named('2026-11-11 00:00,1\n2026-11-11 00:20,2\n', 30, 'line 2', /starts 20 minutes after line 1/);
  named('2026-11-11 00:00,1\n2026-11-11 00:00,2\n', 30, 'line 2', /starts 0 minutes after line 1/);
  named('10\n-4\n', 30, 'line 2', /calls must be a number ≥ 0, not "-4"/);
  named('10\nten\n', 30, 'line 2', /not "ten"/);
  named('yesterday,10\n', 30, 'line 1', /calls must be|not a time/);
  named('2026-11-11 00:00,\n', 30, 'line 1', /not ""/);
  named('# only a comment\n', 30, 'profile', /no intervals/);
});
