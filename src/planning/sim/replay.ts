/**
 * A surge profile replayed from past call records (issue 5 §4): the instants the line's calls
 * started, as the simulator's arrivals, optionally scaled — "last year's Double-11, 1.5×".
 * Scaling by s keeps each recorded call ⌊s⌋ times and once more with probability s − ⌊s⌋
 * (seeded); copies after the first are moved by up to ±30 s so they do not all land on the same
 * millisecond, which keeps the shape of the day down to the minute (a surge at 20:00:00 stays
 * one). The run's intervals start at `since`.
 */
import { Rng } from './rng.ts';
import { PlanningInputError } from '../input-error.ts';

export interface Replay {
  /** Ms from `since`, ascending. */
  readonly arrivals: number[];
  /** Arrivals per interval (what the answer reports as the profile). */
  readonly calls: number[];
}

const JITTER_MS = 30_000;

export function replayArrivals(startTimes: readonly number[], opts: { since: number; until: number; intervalMinutes: number; scale: number; seed: number }): Replay {
  const { since, until, intervalMinutes, scale } = opts;
  const stepMs = intervalMinutes * 60_000;
  if (!(until > since)) throw new PlanningInputError('profile.replay.until', 'must be after since');
  if (!(Number.isFinite(scale) && scale >= 0)) throw new PlanningInputError('profile.replay.scale', `must be ≥ 0, not ${String(scale)}`);
  const n = Math.ceil((until - since) / stepMs);
  const end = n * stepMs;
  const rng = new Rng(opts.seed ^ 0x27d4eb2f);
  const whole = Math.floor(scale);
  const part = scale - whole;
  const arrivals: number[] = [];
  for (const t of startTimes) {
    const at = t - since;
    if (at < 0 || t >= until) continue;
    const copies = whole + (part > 0 && rng.next() < part ? 1 : 0);
    for (let c = 0; c < copies; c++) {
      const moved = c === 0 ? at : at + (rng.next() * 2 - 1) * JITTER_MS;
      arrivals.push(Math.min(end - 1, Math.max(0, moved)));
    }
  }
  if (arrivals.length === 0 && startTimes.length === 0) throw new PlanningInputError('profile.replay', 'no calls on this line in that period to replay');
  arrivals.sort((a, b) => a - b);
  const calls = new Array<number>(n).fill(0);
  for (const t of arrivals) calls[Math.floor(t / stepMs)]!++;
  return { arrivals, calls };
}
