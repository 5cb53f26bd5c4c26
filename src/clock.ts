/**
 * Time as a dependency. Protocol timers, routing, EWT and the simulator all take a
 * Clock so that tests and the simulator can run time fast and deterministically.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds on a monotonic time line (not wall time). */
  now(): number;
  /** Wall-clock epoch milliseconds (for Date headers, records). */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

let nextRealId = 1;

/** The real clock: performance.now() and Node timers (unref'd so timers never hold the process open). */
export function realClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  return {
    now: () => performance.now(),
    wallNow: () => Date.now(),
    setTimeout(fn, ms) {
      const id = nextRealId++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, ms);
      t.unref();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      if (!handle) return;
      const t = timers.get(handle.id);
      if (t) {
        clearTimeout(t);
        timers.delete(handle.id);
      }
    },
  };
}

interface ManualTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers due at the same instant fire in the
 * order they were set. Used by tests and by the surge simulator.
 */
export class ManualClock implements Clock {
  private t: number;
  private readonly wallOffset: number;
  private seq = 0;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  constructor(start = 0, wallStart = Date.UTC(2026, 10, 11, 0, 0, 0)) {
    this.t = start;
    this.wallOffset = wallStart - start;
  }

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.t + this.wallOffset;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  /** Number of timers still pending. */
  pending(): number {
    return this.timers.size;
  }

  /** Advance time by `ms`, firing every timer that falls due, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > end) break;
      this.timers.delete(next.id);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  /** Fire timers until none remain (bounded, to catch runaway timer loops). */
  runAll(maxTimers = 100_000): void {
    for (let i = 0; i < maxTimers; i++) {
      const next = this.earliest();
      if (!next) return;
      this.timers.delete(next.id);
      this.t = next.at;
      next.fn();
    }
    throw new Error(`ManualClock.runAll: more than ${maxTimers} timers fired`);
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.timers.values()) {
      if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer;
    }
    return best;
  }
}
