/**
 * What each line's announcement slots say right now, in memory, so a caller reaching an
 * announcement node reads it synchronously and never waits on the store. Kept current
 * three ways: a change made through this node is applied at once (the runtime calls
 * apply()); an 'announcement.changed' event for a newer version re-reads the slot; and
 * the store is polled every 500 ms for slots changed since the last poll (changes made
 * through other nodes), so new text reaches callers within a second. A version never
 * goes backwards: a late or duplicate update is ignored.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { SlotState } from '../announcements/slot.ts';

/** The part of the announcements repository the cache reads. */
export interface AnnouncementSource {
  get(tenantId: string, lineId: string, slot: string): Promise<SlotState>;
  changedSince(since: Date): Promise<{ tenantId: string; lineId: string; state: SlotState; updatedAt: Date }[]>;
}

export interface AnnouncementCacheOptions {
  readonly source: AnnouncementSource;
  readonly clock: Clock;
  readonly log: Logger;
  readonly bus?: EventBus;
  /** Default 500 ms. */
  readonly pollMs?: number;
  /**
   * The poll asks for changes since the newest seen minus this much, so a write whose
   * timestamp lands just before one already seen (another node's clock) is not missed.
   */
  readonly overlapMs?: number;
  /** A newer state was taken (e.g. to render its text before callers reach it). */
  readonly onChange?: (tenantId: string, lineId: string, state: SlotState) => void;
}

const key = (tenantId: string, lineId: string, slot: string): string => `${tenantId}\u0000${lineId}\u0000${slot}`;

export class AnnouncementCache {
  private readonly slots = new Map<string, SlotState>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly tenants = new Map<string, () => void>();
  private since: number;
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;
  private stopped = true;
  /** Polls completed (tests wait on it). */
  polls = 0;

  constructor(private readonly opts: AnnouncementCacheOptions) {
    this.since = opts.clock.wallNow();
  }

  /** The slot's state if loaded. */
  current(tenantId: string, lineId: string, slot: string): SlotState | undefined {
    return this.slots.get(key(tenantId, lineId, slot));
  }

  /** Takes a state if it is newer than what is held; true when it was. */
  apply(tenantId: string, lineId: string, state: SlotState): boolean {
    const k = key(tenantId, lineId, state.slot);
    const held = this.slots.get(k);
    if (held && held.version >= state.version) return false;
    this.slots.set(k, state);
    this.opts.onChange?.(tenantId, lineId, state);
    return true;
  }

  /** Loads the slots a call is about to use (once per slot; later reads are from memory). */
  async prime(tenantId: string, lineId: string, slots: readonly string[]): Promise<void> {
    this.follow(tenantId);
    await Promise.all(
      slots.map((slot) => {
        const k = key(tenantId, lineId, slot);
        if (this.slots.has(k)) return undefined;
        let p = this.loading.get(k);
        if (!p) {
          p = this.load(tenantId, lineId, slot).finally(() => this.loading.delete(k));
          this.loading.set(k, p);
        }
        return p;
      }),
    );
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const off of this.tenants.values()) off();
    this.tenants.clear();
    await this.polling;
  }

  /** One poll now (the timer calls this; tests may too). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
      this.polls++;
    });
    return this.polling;
  }

  private async load(tenantId: string, lineId: string, slot: string): Promise<void> {
    const state = await this.opts.source.get(tenantId, lineId, slot);
    this.apply(tenantId, lineId, state);
  }

  /** Listens to a tenant's events once it has a call (the bus is per tenant). */
  private follow(tenantId: string): void {
    const bus = this.opts.bus;
    if (!bus || this.tenants.has(tenantId) || this.stopped) return;
    this.tenants.set(
      tenantId,
      bus.subscribe(tenantId, (e) => {
        if (e.type !== 'announcement.changed') return;
        const held = this.current(e.tenantId, e.lineId, e.slot);
        if (held && held.version >= e.version) return;
        this.load(e.tenantId, e.lineId, e.slot).catch((err: unknown) =>
          this.opts.log.warn({ err: String(err), lineId: e.lineId, slot: e.slot }, 'announcement reload failed'),
        );
      }),
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.opts.pollMs ?? 500);
  }

  private async pollOnce(): Promise<void> {
    const overlap = this.opts.overlapMs ?? 2000;
    try {
      const rows = await this.opts.source.changedSince(new Date(this.since - overlap));
      for (const row of rows) {
        this.apply(row.tenantId, row.lineId, row.state);
        this.since = Math.max(this.since, row.updatedAt.getTime());
      }
    } catch (err) {
      this.opts.log.warn({ err: String(err) }, 'announcement poll failed');
    }
  }
}
