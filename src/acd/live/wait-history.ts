/**
 * What the queue runtime remembers per queue to estimate waits (src/acd/ewt.ts): when calls were
 * answered (the live answer rate), the agents' recent handle times (ringing + talk + wrap-up:
 * the measured capacity), and the keep-place callbacks made here that still hold a place in
 * line. In memory on the node that runs the queue; a restart starts it afresh (the estimator
 * then falls back to the answer rate and the configured AHT).
 */
import type { Clock } from '../../clock.ts';
import { HANDLE_SAMPLES, recentHandleMs, servedPerSecond } from '../ewt.ts';

/** How long a keep-place callback made here counts as a place in line, at most. */
export const HELD_PLACE_MS = 2 * 3_600_000;

export class WaitHistory {
  private readonly answered = new Map<string, number[]>();
  private readonly handled = new Map<string, number[]>();
  private readonly heldPlaces = new Map<string, Map<string, number>>();
  private readonly startedAt: number;

  constructor(private readonly clock: Clock) {
    this.startedAt = clock.wallNow();
  }

  answeredAt(queue: string, at: number): void {
    const times = this.answered.get(queue) ?? [];
    times.push(at);
    this.answered.set(queue, times);
  }

  /** An agent's whole cycle for one call of the queue (ms). */
  handledIn(queue: string, ms: number): void {
    const list = this.handled.get(queue) ?? [];
    list.push(ms);
    if (list.length > 2 * HANDLE_SAMPLES) list.splice(0, list.length - HANDLE_SAMPLES);
    this.handled.set(queue, list);
  }

  /** A keep-place callback now holds the place its caller entered the queue at. */
  placeHeld(queue: string, id: string, enteredAt: number): void {
    const held = this.heldPlaces.get(queue) ?? new Map<string, number>();
    held.set(id, enteredAt);
    this.heldPlaces.set(queue, held);
  }

  placeTaken(queue: string, id: string): void {
    this.heldPlaces.get(queue)?.delete(id);
  }

  /**
   * Held places ahead of a caller who entered at `enteredAt`. One not taken up within
   * HELD_PLACE_MS (worked by another node, cancelled) stops counting.
   */
  heldBefore(queue: string, enteredAt: number): number {
    const held = this.heldPlaces.get(queue);
    if (!held) return 0;
    const now = this.clock.wallNow();
    let n = 0;
    for (const [id, at] of held) {
      if (now - at > HELD_PLACE_MS) held.delete(id);
      else if (at < enteredAt) n++;
    }
    return n;
  }

  /** The estimator's measured inputs for the queue at `now`. */
  measures(queue: string, now: number): { handleMs: number | undefined; servedPerSecond: number | undefined } {
    return {
      handleMs: recentHandleMs(this.handled.get(queue) ?? []),
      servedPerSecond: servedPerSecond(this.answered.get(queue) ?? [], now, undefined, this.startedAt),
    };
  }
}
