/**
 * Named opening-hours schedules of a tenant (the `schedule` node of a flow names one).
 * A document is stored only after parseSchedule accepts it, so what flows read back is
 * always a valid Schedule. Changes are audited under schedule:<name>.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { parseSchedule, type Schedule } from '../../schedules/schedule.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Database } from '../schema.ts';
import { auditRepository } from './audit.ts';

export interface NamedSchedule {
  name: string;
  schedule: Schedule;
  updatedAt: Date;
}

export interface SchedulesRepository {
  /** Creates or replaces. ValidationError('schedule', <every problem>) when parseSchedule refuses it. Audit 'schedule.put'. */
  put(tenantId: string, name: string, document: unknown, by: string): Promise<NamedSchedule>;
  /** NotFoundError. */
  get(tenantId: string, name: string): Promise<NamedSchedule>;
  list(tenantId: string): Promise<NamedSchedule[]>;
  /** NotFoundError. Audit 'schedule.remove'. */
  remove(tenantId: string, name: string, by: string): Promise<void>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const toNamed = (r: { name: string; document: unknown; updated_at: Date }): NamedSchedule => ({
  name: r.name,
  schedule: r.document as Schedule,
  updatedAt: r.updated_at,
});

export function schedulesRepository(db: Kysely<Database>, clock: Clock): SchedulesRepository {
  const audit = auditRepository(db, clock);
  return {
    async put(tenantId, name, document, by) {
      if (!NAME.test(name)) throw new ValidationError('name', 'letters, digits, "_", "." and "-", at most 64, starting with a letter or digit');
      let schedule: Schedule;
      try {
        schedule = parseSchedule(document);
      } catch (err) {
        throw new ValidationError('schedule', (err as Error).message.replace(/^invalid schedule:\s*/, ''));
      }
      if (!isUuid(tenantId)) throw new NotFoundError('tenant', tenantId);
      const now = new Date(clock.wallNow());
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('schedules')
            .values({ tenant_id: tenantId, name, document: JSON.stringify(schedule), created_at: now, updated_at: now })
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'name']).doUpdateSet({ document: JSON.stringify(schedule), updated_at: now }),
            )
            .returning(['name', 'document', 'updated_at'])
            .executeTakeFirstOrThrow();
          await audit.record(tenantId, { actor: by, action: 'schedule.put', subject: `schedule:${name}`, detail: { schedule } }, trx);
          return toNamed(row);
        });
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
        throw err;
      }
    },

    async get(tenantId, name) {
      const row = isUuid(tenantId)
        ? await db
            .selectFrom('schedules')
            .select(['name', 'document', 'updated_at'])
            .where('tenant_id', '=', tenantId)
            .where('name', '=', name)
            .executeTakeFirst()
        : undefined;
      if (!row) throw new NotFoundError('schedule', name);
      return toNamed(row);
    },

    async list(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await db
        .selectFrom('schedules')
        .select(['name', 'document', 'updated_at'])
        .where('tenant_id', '=', tenantId)
        .orderBy('name')
        .execute();
      return rows.map(toNamed);
    },

    async remove(tenantId, name, by) {
      if (!isUuid(tenantId)) throw new NotFoundError('schedule', name);
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .deleteFrom('schedules')
          .where('tenant_id', '=', tenantId)
          .where('name', '=', name)
          .returning('name')
          .executeTakeFirst();
        if (!row) throw new NotFoundError('schedule', name);
        await audit.record(tenantId, { actor: by, action: 'schedule.remove', subject: `schedule:${name}` }, trx);
      });
    },
  };
}
