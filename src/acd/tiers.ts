/**
 * Emergency staffing tiers (seeds: three-tier staffing by load; issue 4 §8, the automatic part of
 * C12). Level 0 is normal; level i means the queue's tiers[i−1] is active, and every level up to
 * it adds its agent groups. Pure: the runtime keeps { level, since } and calls evaluateTiers on
 * every metrics update with `now`.
 *
 * Hysteresis:
 * - escalate at once to the highest level whose condition holds (any of its set thresholds);
 * - de-escalate only when the current level's condition, with its release factor applied
 *   (thresholds × factor; for serviceLevelBelow x: 1 − (1 − x) × factor), has been false for
 *   holdSeconds. `since` is the last instant the current level was entered or still held, so a
 *   level is never left less than holdSeconds after it was entered: no flapping.
 */
import type { TierLevel } from './queue-config.ts';

export type { TierLevel } from './queue-config.ts';

export interface TierMetrics {
  waiting: number;
  longestWaitSeconds: number;
  ewtSeconds?: number | undefined;
  /** 0..1; undefined when nothing counts yet (never triggers). */
  serviceLevel?: number | undefined;
}

export interface TierState {
  level: number;
  since: number;
}

/** Does the level's condition hold? factor 1 = escalation thresholds, < 1 = release thresholds. */
export function tierHolds(t: TierLevel, m: TierMetrics, factor = 1): boolean {
  const w = t.when;
  if (w.waitingAtLeast !== undefined && m.waiting >= w.waitingAtLeast * factor) return true;
  if (w.longestWaitSecondsAtLeast !== undefined && m.longestWaitSeconds >= w.longestWaitSecondsAtLeast * factor) return true;
  if (w.ewtSecondsAtLeast !== undefined && m.ewtSeconds !== undefined && m.ewtSeconds >= w.ewtSecondsAtLeast * factor) return true;
  // Release for a "below" threshold mirrors the others: the shortfall shrinks by the factor
  // (0.8 at factor 0.8 → released at 0.84), never an unreachable 1.0.
  if (w.serviceLevelBelow !== undefined && m.serviceLevel !== undefined && m.serviceLevel < 1 - (1 - w.serviceLevelBelow) * factor) return true;
  return false;
}

export function evaluateTiers(
  levels: readonly TierLevel[],
  metrics: TierMetrics,
  current: TierState,
  now: number,
): TierState & { changed: boolean } {
  const cur = Math.min(Math.max(0, current.level), levels.length);
  let top = 0;
  for (let i = levels.length; i >= 1; i--) {
    if (tierHolds(levels[i - 1]!, metrics)) {
      top = i;
      break;
    }
  }
  if (top > cur) return { level: top, since: now, changed: true };
  if (cur === 0) return { level: 0, since: current.since, changed: cur !== current.level };
  const t = levels[cur - 1]!;
  if (tierHolds(t, metrics, t.releaseBelowFactor)) return { level: cur, since: Math.max(current.since, now), changed: cur !== current.level };
  if (now - current.since < t.holdSeconds * 1000) return { level: cur, since: current.since, changed: cur !== current.level };
  // Released: drop to the highest lower level that still holds at its own release threshold.
  let next = 0;
  for (let i = cur - 1; i >= 1; i--) {
    const l = levels[i - 1]!;
    if (tierHolds(l, metrics, l.releaseBelowFactor)) {
      next = i;
      break;
    }
  }
  return { level: next, since: now, changed: true };
}

/** Groups the active level adds to the queue: every level up to it, in order, without repeats. */
export function tierGroups(levels: readonly TierLevel[], level: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.min(level, levels.length); i++) for (const g of levels[i]!.addGroups) if (!out.includes(g)) out.push(g);
  return out;
}

/** The announcement preset in force: the highest active level that sets one. */
export function tierAnnouncementPreset(levels: readonly TierLevel[], level: number): TierLevel['announcementPreset'] {
  for (let i = Math.min(level, levels.length); i >= 1; i--) {
    const p = levels[i - 1]!.announcementPreset;
    if (p) return p;
  }
  return undefined;
}
