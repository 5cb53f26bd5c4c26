/**
 * A call's key presses as a queue the IVR reads from. Digits that arrive while nobody
 * is waiting are kept (callers type ahead of prompts), up to a bound.
 */
import type { Clock, TimerHandle } from '../clock.ts';

interface Waiter {
  resolve(digit: string | undefined): void;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class DigitBuffer {
  private readonly queued: string[] = [];
  private waiter: Waiter | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly max = 32,
  ) {}

  push(digit: string): void {
    const w = this.waiter;
    if (w) {
      this.settle(w, digit);
      return;
    }
    if (this.queued.length < this.max) this.queued.push(digit);
  }

  /** Keys pressed and not yet read. */
  get pending(): number {
    return this.queued.length;
  }

  /** Drop type-ahead (e.g. after a menu is re-read). */
  clear(): void {
    this.queued.length = 0;
  }

  /** The next digit, or undefined after `timeoutMs` or when `signal` aborts. One reader at a time. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
    const ready = this.queued.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.waiter) this.settle(this.waiter, undefined);
    return new Promise((resolve) => {
      const w: Waiter = { resolve, timer: undefined, signal, onAbort: undefined };
      w.timer = this.clock.setTimeout(() => this.settle(w, undefined), timeoutMs);
      if (signal) {
        w.onAbort = () => this.settle(w, undefined);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiter = w;
    });
  }

  private settle(w: Waiter, digit: string | undefined): void {
    if (this.waiter === w) this.waiter = undefined;
    this.clock.clearTimeout(w.timer);
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(digit);
  }
}
