/**
 * The 20 ms playout clock: one loop per worker drives every leg.
 *
 * The schedule is absolute: slot-tick k is due at t0 + k·(period/slots), computed from
 * the monotonic clock, so timer lateness never accumulates (a setInterval or a chain of
 * setTimeout(20) drifts by the sum of their wake-up errors). Each period is cut into
 * `slots` sub-slots and every leg lives in one, so 2,000 legs make four bursts of 500
 * packets 5 ms apart rather than one burst of 2,000 — smoother for our CPU, the kernel's
 * socket buffers and the far ends.
 *
 * The timer is aimed `earlyMs` before the due time and a slot runs once it is within
 * `earlyMs` of due (sending at most that early): Node timers have 1 ms granularity and
 * fire late, never early, so aiming early centres the error around zero. An optional
 * busy-wait covers the last `spinMs`.
 *
 * Falling behind (a long GC pause, an overloaded core): due slot-ticks run at once, up to
 * `maxCatchUpPeriods` periods' worth; beyond that the loop resyncs to now and counts the
 * skipped periods instead of bursting them. Legs see the gap in the period number they
 * are given and advance their RTP timestamps by it (the media clock never slips).
 */
import type { Clock, TimerHandle } from '../clock.ts';

export interface PlayoutOptions {
  /** Packetisation period (ms). */
  periodMs?: number;
  /** Sub-slots per period; legs are spread over them. */
  slots?: number;
  /** Catch up at most this many periods after a stall, then resync. */
  maxCatchUpPeriods?: number;
  /** Aim the timer this much before due, and run a slot this much early at most. */
  earlyMs?: number;
  /** Busy-wait when the next slot is due within this many ms (0: never spin). */
  spinMs?: number;
  /**
   * Runs a callback as soon as the event loop has polled I/O once (setImmediate in a
   * worker). When the loop is behind it runs one period's worth of slot-ticks, then yields
   * through this, so inbound packets and control requests are never starved. Default:
   * the clock's setTimeout(fn, 0).
   */
  defer?: (fn: () => void) => void;
}

/** Called for each due slot-tick: legs in `slot` send their packet for `period`. */
export type SlotHandler = (slot: number, period: number) => void;

export interface PlayoutStats {
  /** Slot-ticks run. */
  runs: number;
  /** Timer wake-ups. */
  wakeups: number;
  /** Times the loop gave up catching up and jumped to now. */
  resyncs: number;
  /** Slot-ticks dropped by resyncs (each is one missed packet for every leg in that slot). */
  skipped: number;
  /** Lateness of slot-ticks relative to due, in ms (negative: ran early). */
  latenessP50: number;
  latenessP99: number;
  latenessMax: number;
  /** Runs that started more than one period late (they went out in a catch-up burst). */
  lateRuns: number;
}

/** Lateness histogram: 0.1 ms bins from -earlyMs.. up to 200 ms. */
const BIN_MS = 0.1;
const BINS = 2_100;
const BIN_OFFSET = 50; // bins below zero (down to -5 ms)

export class PlayoutLoop {
  readonly periodMs: number;
  readonly slots: number;
  private readonly slotMs: number;
  private readonly maxCatchUpMs: number;
  private readonly earlyMs: number;
  private readonly spinMs: number;
  private readonly defer: (fn: () => void) => void;
  private t0 = 0;
  private gen = 0;
  private k = 0;
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly hist = new Uint32Array(BINS);
  private latenessMax = -Infinity;
  private st = { runs: 0, wakeups: 0, resyncs: 0, skipped: 0, lateRuns: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly onSlot: SlotHandler,
    options: PlayoutOptions = {},
  ) {
    this.periodMs = options.periodMs ?? 20;
    this.slots = Math.max(1, Math.floor(options.slots ?? 4));
    this.slotMs = this.periodMs / this.slots;
    this.maxCatchUpMs = (options.maxCatchUpPeriods ?? 3) * this.periodMs;
    this.earlyMs = options.earlyMs ?? 0.5;
    this.spinMs = options.spinMs ?? 0;
    this.defer = options.defer ?? ((fn) => void clock.setTimeout(fn, 0));
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.gen++;
    this.t0 = this.clock.now();
    this.k = 0;
    this.wake();
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The period whose slot `slot` runs next (a leg joining now sends its first packet then). */
  nextPeriodFor(slot: number): number {
    const period = Math.floor(this.k / this.slots);
    return this.k % this.slots <= slot ? period : period + 1;
  }

  /** When slot-tick (slot, period) is due, on the clock's time line. */
  dueAt(slot: number, period: number): number {
    return this.t0 + (period * this.slots + slot) * this.slotMs;
  }

  stats(): PlayoutStats {
    return {
      ...this.st,
      latenessP50: this.percentile(0.5),
      latenessP99: this.percentile(0.99),
      latenessMax: this.st.runs ? this.latenessMax : 0,
    };
  }

  private percentile(q: number): number {
    const total = this.st.runs;
    if (!total) return 0;
    const want = Math.ceil(q * total);
    let acc = 0;
    for (let i = 0; i < BINS; i++) {
      acc += this.hist[i]!;
      if (acc >= want) return (i - BIN_OFFSET + 1) * BIN_MS;
    }
    return this.latenessMax;
  }

  /** A wake-up bound to the current run, so a stale one left over from before stop() does nothing. */
  private wakeFn(): () => void {
    const gen = this.gen;
    return () => {
      if (gen === this.gen) this.wake();
    };
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.running) return;
    this.st.wakeups++;
    let now = this.clock.now();
    for (let ran = 0; ; ) {
      let due = this.t0 + this.k * this.slotMs;
      if (now - due > this.maxCatchUpMs) {
        // Too far behind: keep only the latest due tick of each slot.
        const latest = Math.floor((now - this.t0) / this.slotMs);
        const from = latest - this.slots + 1;
        if (from > this.k) {
          this.st.skipped += from - this.k;
          this.st.resyncs++;
          this.k = from;
          due = this.t0 + this.k * this.slotMs;
        }
      }
      if (due > now + this.earlyMs) {
        const wait = due - now;
        if (this.spinMs > 0 && wait <= this.spinMs) {
          // The last fraction of a millisecond: a timer cannot hit it, a short spin can.
          while (this.clock.now() < due - this.earlyMs / 4) {
            /* spin */
          }
          now = this.clock.now();
          continue;
        }
        this.timer = this.clock.setTimeout(this.wakeFn(), Math.max(0, wait - this.earlyMs));
        return;
      }
      if (ran === this.slots) {
        // Behind by a whole period: let I/O in before catching up further.
        this.defer(this.wakeFn());
        return;
      }
      this.record(now - due);
      ran++;
      const k = this.k++;
      this.onSlot(k % this.slots, Math.floor(k / this.slots));
      if (!this.running) return;
      now = this.clock.now();
    }
  }

  private record(lateness: number): void {
    this.st.runs++;
    if (lateness > this.periodMs) this.st.lateRuns++;
    if (lateness > this.latenessMax) this.latenessMax = lateness;
    let bin = Math.floor(lateness / BIN_MS) + BIN_OFFSET;
    if (bin < 0) bin = 0;
    else if (bin >= BINS) bin = BINS - 1;
    this.hist[bin]!++;
  }
}
