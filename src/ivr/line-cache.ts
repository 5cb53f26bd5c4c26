/**
 * Which line a dialled number reaches, remembered for `ttlMs` so that a surge of calls to
 * one hotline asks the store once a second instead of once per INVITE. Concurrent lookups
 * of one number share the query. Only found lines are kept: a number that reaches no line
 * is asked again next time (a number just added works at once; unknown numbers cannot grow
 * the map). A failed lookup is not kept either.
 */
import type { Clock } from '../clock.ts';
import type { LineForCall } from './runtime-store.ts';

export class LineLookupCache {
  private readonly held = new Map<string, { at: number; value: Promise<LineForCall | undefined> }>();

  constructor(
    private readonly lookup: (digits: string) => Promise<LineForCall | undefined>,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  get(digits: string): Promise<LineForCall | undefined> {
    if (this.ttlMs <= 0) return this.lookup(digits);
    const now = this.clock.now();
    const hit = this.held.get(digits);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = this.lookup(digits);
    this.held.set(digits, { at: now, value });
    const forget = (): void => {
      if (this.held.get(digits)?.value === value) this.held.delete(digits);
    };
    value.then((line) => {
      if (line === undefined) forget();
    }, forget);
    return value;
  }

  /** Forget every number (a line changed on this node). */
  clear(): void {
    this.held.clear();
  }
}
