/**
 * Live announcement slots of a line (incident mode): the presets a slot offers and its
 * current state. A change is applyChange() on the stored state under a row lock (SELECT …
 * FOR UPDATE in a transaction), so two supervisors changing one slot at once get versions
 * n+1 and n+2 — neither change is lost, and the version a call's journey records names
 * exactly one text. The first change of a slot inserts its row first (ON CONFLICT DO
 * NOTHING) so that there is a row to lock. Every change is audited as
 * announcement:<lineId>/<slot>. changedSince() lets every node's cache follow changes
 * made through other nodes.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { AnnouncementError, applyChange, emptySlot, type Change, type Preset, type SlotState } from '../../announcements/slot.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Database } from '../schema.ts';
import { auditRepository } from './audit.ts';

export interface AnnouncementsRepository {
  presets(tenantId: string, lineId: string, slot: string): Promise<Preset[]>;
  /** Replaces the slot's presets (in the order given). Audit 'announcement.presets'. */
  setPresets(tenantId: string, lineId: string, slot: string, presets: Preset[], by: string): Promise<void>;
  /** Current state (emptySlot(slot) version 0 when never set). */
  get(tenantId: string, lineId: string, slot: string): Promise<SlotState>;
  /** Every slot of the line that has a state or presets, by slot name. */
  list(tenantId: string, lineId: string): Promise<SlotState[]>;
  /** applyChange() under a row lock; AnnouncementError → ValidationError; audit 'announcement.set'. */
  set(tenantId: string, lineId: string, slot: string, change: Change): Promise<SlotState>;
  /** Every slot of every line changed after `since`, oldest change first (unscoped: for node caches). */
  changedSince(since: Date): Promise<{ tenantId: string; lineId: string; state: SlotState; updatedAt: Date }[]>;
}

const SLOT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

type Db = Kysely<Database>;

function checkSlot(slot: string): void {
  if (!SLOT.test(slot)) throw new ValidationError('slot', 'letters, digits, "_" and "-", at most 32');
}

async function requireLine(db: Db, tenantId: string, lineId: string): Promise<void> {
  const row =
    isUuid(tenantId) && isUuid(lineId)
      ? await db.selectFrom('lines').select('id').where('tenant_id', '=', tenantId).where('id', '=', lineId).executeTakeFirst()
      : undefined;
  if (!row) throw new NotFoundError('line', lineId);
}

async function readPresets(db: Db, tenantId: string, lineId: string, slot: string): Promise<Preset[]> {
  const rows = await db
    .selectFrom('announcement_presets')
    .select(['name', 'text', 'default_values'])
    .where('tenant_id', '=', tenantId)
    .where('line_id', '=', lineId)
    .where('slot', '=', slot)
    .orderBy('position')
    .execute();
  return rows.map((r) => (Object.keys(r.default_values).length > 0 ? { name: r.name, text: r.text, values: r.default_values } : { name: r.name, text: r.text }));
}

export function announcementsRepository(db: Db, clock: Clock): AnnouncementsRepository {
  const audit = auditRepository(db, clock);
  return {
    async presets(tenantId, lineId, slot) {
      checkSlot(slot);
      await requireLine(db, tenantId, lineId);
      return readPresets(db, tenantId, lineId, slot);
    },

    async setPresets(tenantId, lineId, slot, presets, by) {
      checkSlot(slot);
      const names = new Set<string>();
      presets.forEach((p, i) => {
        if (typeof p.name !== 'string' || p.name.trim() === '') throw new ValidationError(`presets.${i}.name`, 'must not be empty');
        if (names.has(p.name)) throw new ValidationError(`presets.${i}.name`, `duplicate preset "${p.name}"`);
        names.add(p.name);
      });
      await requireLine(db, tenantId, lineId);
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('announcement_presets')
          .where('tenant_id', '=', tenantId)
          .where('line_id', '=', lineId)
          .where('slot', '=', slot)
          .execute();
        if (presets.length > 0) {
          await trx
            .insertInto('announcement_presets')
            .values(
              presets.map((p, position) => ({
                tenant_id: tenantId,
                line_id: lineId,
                slot,
                name: p.name,
                text: p.text ?? null,
                position,
                default_values: JSON.stringify(p.values ?? {}),
              })),
            )
            .execute();
        }
        await audit.record(
          tenantId,
          { actor: by, action: 'announcement.presets', subject: `announcement:${lineId}/${slot}`, detail: { presets } },
          trx,
        );
      });
    },

    async get(tenantId, lineId, slot) {
      checkSlot(slot);
      await requireLine(db, tenantId, lineId);
      const row = await db
        .selectFrom('announcement_slots')
        .select('state')
        .where('tenant_id', '=', tenantId)
        .where('line_id', '=', lineId)
        .where('slot', '=', slot)
        .executeTakeFirst();
      return row ? (row.state as SlotState) : emptySlot(slot, clock.wallNow());
    },

    async list(tenantId, lineId) {
      await requireLine(db, tenantId, lineId);
      const states = await db
        .selectFrom('announcement_slots')
        .select(['slot', 'state'])
        .where('tenant_id', '=', tenantId)
        .where('line_id', '=', lineId)
        .execute();
      const withPresets = await db
        .selectFrom('announcement_presets')
        .select('slot')
        .distinct()
        .where('tenant_id', '=', tenantId)
        .where('line_id', '=', lineId)
        .execute();
      const bySlot = new Map<string, SlotState>(states.map((r) => [r.slot, r.state as SlotState]));
      const now = clock.wallNow();
      for (const { slot } of withPresets) if (!bySlot.has(slot)) bySlot.set(slot, emptySlot(slot, now));
      return [...bySlot.keys()].sort().map((slot) => bySlot.get(slot)!);
    },

    async set(tenantId, lineId, slot, change) {
      checkSlot(slot);
      return db.transaction().execute(async (trx) => {
        const line = await trx
          .selectFrom('lines')
          .select('time_zone')
          .where('tenant_id', '=', isUuid(tenantId) ? tenantId : '00000000-0000-0000-0000-000000000000')
          .where('id', '=', isUuid(lineId) ? lineId : '00000000-0000-0000-0000-000000000000')
          .executeTakeFirst();
        if (!line) throw new NotFoundError('line', lineId);
        const now = clock.wallNow();
        await trx
          .insertInto('announcement_slots')
          .values({ tenant_id: tenantId, line_id: lineId, slot, state: JSON.stringify(emptySlot(slot, now)), updated_at: new Date(now) })
          .onConflict((oc) => oc.columns(['line_id', 'slot']).doNothing())
          .execute();
        const locked = await trx
          .selectFrom('announcement_slots')
          .select('state')
          .where('tenant_id', '=', tenantId)
          .where('line_id', '=', lineId)
          .where('slot', '=', slot)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const presets = await readPresets(trx, tenantId, lineId, slot);
        let next: SlotState;
        try {
          next = applyChange(locked.state as SlotState, presets, { ...change, timeZone: line.time_zone }, now);
        } catch (err) {
          if (err instanceof AnnouncementError) throw new ValidationError('announcement', err.message);
          throw err;
        }
        await trx
          .updateTable('announcement_slots')
          .set({ state: JSON.stringify(next), updated_at: new Date(now) })
          .where('tenant_id', '=', tenantId)
          .where('line_id', '=', lineId)
          .where('slot', '=', slot)
          .execute();
        await audit.record(
          tenantId,
          {
            actor: change.by,
            action: 'announcement.set',
            subject: `announcement:${lineId}/${slot}`,
            detail: { version: next.version, preset: next.preset, text: next.text, values: next.values, expiresAt: next.expiresAt },
          },
          trx,
        );
        return next;
      });
    },

    async changedSince(since) {
      const rows = await db
        .selectFrom('announcement_slots')
        .select(['tenant_id', 'line_id', 'state', 'updated_at'])
        .where('updated_at', '>', since)
        .orderBy('updated_at')
        .execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, lineId: r.line_id, state: r.state as SlotState, updatedAt: r.updated_at }));
    },
  };
}
