/**
 * What a staffing tier change does beyond routing (issue 4 §8): it goes on the event stream as
 * queue.tier, and when the active levels name an announcement preset, the named line's slot is
 * switched to it (as `tier:<queue>` in the audit log) — every new caller hears it within the
 * node caches' second. When the tiers stop naming a preset, the slot goes back to the preset it
 * had before the tiers changed it. Changes are applied one after another, in order.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import type { CallEvent } from '../../events/bus.ts';
import type { Logger } from '../../log.ts';
import type { Database } from '../../store/schema.ts';
import { announcementsRepository } from '../../store/repositories/announcements.ts';
import { linesRepository } from '../../store/repositories/lines.ts';
import type { TierChange } from './tier-watch.ts';

export interface TierAnnouncerOptions {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tenantId: string;
  readonly publish: (e: CallEvent) => void;
}

export function tierAnnouncer(opts: TierAnnouncerOptions): { onTier: (c: TierChange) => void; idle: () => Promise<void> } {
  const { db, clock, log, tenantId } = opts;
  const announcements = announcementsRepository(db, clock);
  const lines = linesRepository(db, clock);
  /** line/slot → the preset it had before the tiers switched it (null: a free text or nothing). */
  const before = new Map<string, string | null>();
  let chain: Promise<void> = Promise.resolve();

  const switchSlot = async (c: TierChange): Promise<void> => {
    const target = c.preset ?? c.previousPreset;
    if (!target) return;
    const line = await lines.resolveLine(tenantId, target.line);
    const key = `${line.id}/${target.slot}`;
    const by = `tier:${c.queue}`;
    if (c.preset) {
      if (!before.has(key)) before.set(key, (await announcements.get(tenantId, line.id, target.slot)).preset);
      await announcements.set(tenantId, line.id, target.slot, { preset: c.preset.preset, values: {}, expiresAt: null, by, timeZone: line.time_zone });
    } else if (before.has(key)) {
      const restore = before.get(key)!;
      before.delete(key);
      // Back to its preset, or to silence when it had none (a free text is not brought back).
      const change = restore !== null ? { preset: restore, values: {} } : { text: null };
      await announcements.set(tenantId, line.id, target.slot, { ...change, expiresAt: null, by, timeZone: line.time_zone });
    }
    log.info({ queue: c.queue, level: c.level, line: target.line, slot: target.slot, preset: c.preset?.preset ?? null }, 'staffing tier switched the announcement');
  };

  return {
    onTier(c) {
      opts.publish({ type: 'queue.tier', tenantId, queue: c.queue, at: c.at, level: c.level, name: c.name });
      log.info({ queue: c.queue, level: c.level, tier: c.name }, 'staffing tier changed');
      if (c.preset?.preset === c.previousPreset?.preset && c.preset?.line === c.previousPreset?.line) return;
      chain = chain.then(() => switchSlot(c)).catch((err: unknown) => log.error({ queue: c.queue, err: String(err) }, 'staffing tier could not switch the announcement'));
    },
    idle: () => chain,
  };
}
