/**
 * The simulator's view of the queues' calling windows (src/acd/calling-window.ts, the live
 * rule): whether a callback may be placed at a simulated instant, and when the next window
 * opens. Answers are kept per queue and minute, so a night of callbacks costs a few hundred
 * zone look-ups, not one per callback.
 */
import { inCallingWindow } from '../../acd/calling-window.ts';
import type { QueueConfig } from '../../acd/queue-config.ts';

const MINUTE = 60_000;
/** Look no further than this for an opening (a queue with no window at all never opens). */
const HORIZON_MINUTES = 8 * 1440;

export class WindowClock {
  private readonly open = new Map<string, Map<number, boolean>>();
  /** The wall minute (UTC, so also local: offsets are whole quarter hours) of simulated minute 0. */
  private readonly baseMinute: number;

  constructor(
    private readonly startMs: number,
    private readonly timeZone: string,
    private readonly queues: ReadonlyMap<string, QueueConfig>,
  ) {
    this.baseMinute = Math.floor(startMs / MINUTE);
  }

  /** Whether `queue`'s callbacks may be placed at simulated time `t` (ms from the run's start). */
  isOpen(queue: string, t: number): boolean {
    return this.openAtMinute(queue, Math.floor(t / MINUTE));
  }

  /** The first simulated instant at or after `t` inside a window, or undefined within eight days. */
  nextOpen(queue: string, t: number): number | undefined {
    const first = Math.floor(t / MINUTE);
    if (this.openAtMinute(queue, first)) return t;
    // Quarter hours first (windows open on HH:MM, nearly always a quarter), then the minutes before.
    for (let m = first + 1; m <= first + HORIZON_MINUTES; m++) {
      if ((this.baseMinute + m) % 15 !== 0 && m !== first + 1) continue;
      if (!this.openAtMinute(queue, m)) continue;
      let at = m;
      while (at - 1 > first && this.openAtMinute(queue, at - 1)) at--;
      return at * MINUTE;
    }
    return undefined;
  }

  private openAtMinute(queue: string, minute: number): boolean {
    let byMinute = this.open.get(queue);
    if (!byMinute) this.open.set(queue, (byMinute = new Map()));
    let v = byMinute.get(minute);
    if (v === undefined) {
      v = inCallingWindow(this.queues.get(queue)!.callbacks.windows, this.startMs + minute * MINUTE, this.timeZone);
      byMinute.set(minute, v);
    }
    return v;
  }
}
