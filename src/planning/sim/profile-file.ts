/**
 * A surge profile written as text (issue 5 §7: `surgeline simulate --profile <file>`): one count
 * per line, or CSV lines `start,calls` (a header line allowed first, `#` comments anywhere). Every
 * interval must be there: a blank line between counts, or a start that skips intervals, is an
 * error naming the line, not a profile silently shifted (issue 5: "a profile with negative or
 * missing intervals … a clear error naming the input").
 */
import { PlanningInputError } from '../input-error.ts';
import { intervalStart } from '../interval-csv.ts';

export function parseProfileText(text: string, intervalMinutes: number): number[] {
  const lines = text.split(/\r?\n/);
  let last = lines.length;
  while (last > 0 && lines[last - 1]!.trim() === '') last--;
  const calls: number[] = [];
  let previous: { at: number; line: number } | undefined;
  let first = true;
  for (let i = 0; i < last; i++) {
    const line = lines[i]!.trim();
    const where = `line ${i + 1}`;
    if (line.startsWith('#')) continue;
    if (line === '') throw new PlanningInputError(where, 'empty: every interval needs a count (0 for none)');
    const cols = line.split(',').map((c) => c.trim());
    const count = Number(cols.at(-1));
    if (first && cols.length > 1 && Number.isNaN(count)) {
      first = false;
      continue; // a header: the first line that is not a comment
    }
    first = false;
    if (cols.at(-1) === '' || !(Number.isFinite(count) && count >= 0)) throw new PlanningInputError(where, `calls must be a number ≥ 0, not ${JSON.stringify(cols.at(-1))}`);
    if (cols.length > 1) {
      // The interval CSV's start times; a local one is read as UTC: only the differences matter here.
      const at = intervalStart(cols[0]!, 'UTC');
      if (at === undefined) throw new PlanningInputError(where, `start ${JSON.stringify(cols[0])} is not a time (2026-11-11 10:30 or 2026-11-11T10:30+08:00)`);
      if (previous) {
        const gap = (at - previous.at) / 60_000;
        if (gap > intervalMinutes && gap % intervalMinutes === 0) {
          throw new PlanningInputError(where, `${gap / intervalMinutes - 1} interval(s) missing after line ${previous.line}: give every interval, 0 where no calls came`);
        }
        if (gap !== intervalMinutes) throw new PlanningInputError(where, `starts ${gap} minutes after line ${previous.line}, not one ${intervalMinutes}-minute interval`);
      }
      previous = { at, line: i + 1 };
    }
    calls.push(count);
  }
  if (calls.length === 0) throw new PlanningInputError('profile', 'no intervals');
  return calls;
}
