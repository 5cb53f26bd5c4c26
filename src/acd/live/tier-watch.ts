/**
 * Emergency staffing tiers applied live (issue 4 §8, the automatic part of C12): each queue's
 * level is evaluated with the pure evaluateTiers (src/acd/tiers.ts, hysteresis) on its live
 * figures — waiting callers, longest wait, service level over 15 minutes — whenever the queue
 * engine routes and on its one-second tick. The active levels' agent groups become the
 * router's extraGroups, so backup agents start taking the queue's calls at once and stop when
 * the level is released; each change is reported (the app publishes queue.tier and switches
 * the announcement preset the level names).
 */
import type { Clock } from '../../clock.ts';
import type { QueueConfig, TierLevel } from '../queue-config.ts';
import { evaluateTiers, tierAnnouncementPreset, tierGroups, type TierState } from '../tiers.ts';
import type { QueueLive } from './queue-figures.ts';

export interface TierChange {
  readonly queue: string;
  readonly level: number;
  /** The tier's name; null at level 0 (normal). */
  readonly name: string | null;
  readonly at: number;
  /** The announcement preset now in force by the tiers (undefined: none of the active levels sets one). */
  readonly preset: TierLevel['announcementPreset'];
  /** The preset in force before this change (to restore when the tiers stop naming one). */
  readonly previousPreset: TierLevel['announcementPreset'];
}

export class TierWatch {
  private readonly state = new Map<string, TierState>();
  private groups: Record<string, string[]> = {};

  constructor(private readonly opts: { clock: Clock; onChange?: (c: TierChange) => void }) {}

  /** Re-evaluates every queue with tiers; true when a level changed (route again). */
  update(configs: Iterable<QueueConfig>, figuresOf: (queue: string) => QueueLive | undefined): boolean {
    const now = this.opts.clock.wallNow();
    let changed = false;
    const groups: Record<string, string[]> = {};
    for (const config of configs) {
      if (config.tiers.length === 0) continue;
      const live = figuresOf(config.name);
      if (!live) continue;
      const before = this.state.get(config.name) ?? { level: 0, since: now };
      const next = evaluateTiers(config.tiers, { waiting: live.waiting, longestWaitSeconds: live.longestWaitMs / 1000, serviceLevel: live.serviceLevel.last15m ?? undefined }, before, now);
      this.state.set(config.name, { level: next.level, since: next.since });
      if (next.level > 0) groups[config.name] = tierGroups(config.tiers, next.level);
      if (next.level !== before.level) {
        changed = true;
        this.opts.onChange?.({
          queue: config.name,
          level: next.level,
          name: next.level > 0 ? config.tiers[next.level - 1]!.name : null,
          at: now,
          preset: tierAnnouncementPreset(config.tiers, next.level),
          previousPreset: tierAnnouncementPreset(config.tiers, before.level),
        });
      }
    }
    this.groups = groups;
    return changed;
  }

  /** Agent groups the active tiers add, by queue: the router's extraGroups. */
  extraGroups(): Readonly<Record<string, readonly string[]>> {
    return this.groups;
  }

  /** A queue's level now (0: normal). */
  level(queue: string): { level: number; since: number } | undefined {
    return this.state.get(queue);
  }
}
