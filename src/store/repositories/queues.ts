/**
 * Queues of a tenant: a name (what flows' queue nodes reference) and a queue configuration
 * validated by queueConfigSchema (src/acd/queue-config.ts) before it is stored, so what the
 * router reads back is always a complete config with every default applied. A queue's name
 * is its identity: update keeps it (renaming would silently detach the flows naming it).
 * Changes are audited under queue:<name> with the whole config.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { queueConfigSchema, type QueueConfig } from '../../acd/queue-config.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import type { Database } from '../schema.ts';
import { auditRepository } from './audit.ts';

export interface QueueView {
  id: string;
  tenantId: string;
  name: string;
  config: QueueConfig;
  createdAt: Date;
  updatedAt: Date;
}

export interface QueuesRepository {
  /** ValidationError (with every problem's path), ConflictError (name taken). Audit 'queue.create'. */
  create(tenantId: string, config: unknown, by: string): Promise<QueueView>;
  /** By name or id. NotFoundError. */
  get(tenantId: string, ref: string): Promise<QueueView>;
  /** By name. */
  list(tenantId: string): Promise<QueueView[]>;
  /** Replaces the config of the queue `ref` (name or id); the config's name must stay. NotFoundError, ValidationError. Audit 'queue.update'. */
  update(tenantId: string, ref: string, config: unknown, by: string): Promise<QueueView>;
  /** NotFoundError. Audit 'queue.remove'. */
  remove(tenantId: string, ref: string, by: string): Promise<void>;
}

/** Parses a queue config; ValidationError('config', 'path: message; …') when it does not hold. */
export function validateQueueConfig(input: unknown): QueueConfig {
  const parsed = queueConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(config)'}: ${i.message}`);
    throw new ValidationError('config', problems.join('; '));
  }
  return parsed.data;
}

const COLUMNS = ['id', 'tenant_id', 'name', 'config', 'created_at', 'updated_at'] as const;

const toView = (r: { id: string; tenant_id: string; name: string; config: unknown; created_at: Date; updated_at: Date }): QueueView => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  config: r.config as QueueConfig,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function queuesRepository(db: Kysely<Database>, clock: Clock): QueuesRepository {
  const audit = auditRepository(db, clock);

  const get = async (tenantId: string, ref: string): Promise<QueueView> => {
    const row = isUuid(tenantId)
      ? await db
          .selectFrom('queues')
          .select(COLUMNS)
          .where('tenant_id', '=', tenantId)
          .where((eb) => (isUuid(ref) ? eb.or([eb('id', '=', ref), eb('name', '=', ref)]) : eb('name', '=', ref)))
          .executeTakeFirst()
      : undefined;
    if (!row) throw new NotFoundError('queue', ref);
    return toView(row);
  };

  return {
    async create(tenantId, input, by) {
      requireId('tenant', tenantId);
      const config = validateQueueConfig(input);
      const now = new Date(clock.wallNow());
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('queues')
            .values({ tenant_id: tenantId, name: config.name, config: JSON.stringify(config), created_at: now, updated_at: now })
            .returning(COLUMNS)
            .executeTakeFirstOrThrow();
          await audit.record(tenantId, { actor: by, action: 'queue.create', subject: `queue:${config.name}`, detail: { config } }, trx);
          return toView(row);
        });
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
        throw mapConflict(err, `queue ${config.name}`);
      }
    },

    get,

    async list(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await db.selectFrom('queues').select(COLUMNS).where('tenant_id', '=', tenantId).orderBy('name').execute();
      return rows.map(toView);
    },

    async update(tenantId, ref, input, by) {
      const current = await get(tenantId, ref);
      const config = validateQueueConfig(input);
      if (config.name !== current.name) throw new ValidationError('name', `a queue keeps its name (${current.name}); create a new queue instead`);
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('queues')
          .set({ config: JSON.stringify(config), updated_at: new Date(clock.wallNow()) })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', current.id)
          .returning(COLUMNS)
          .executeTakeFirst();
        if (!row) throw new NotFoundError('queue', ref);
        await audit.record(tenantId, { actor: by, action: 'queue.update', subject: `queue:${current.name}`, detail: { config } }, trx);
        return toView(row);
      });
    },

    async remove(tenantId, ref, by) {
      const current = await get(tenantId, ref);
      await db.transaction().execute(async (trx) => {
        const row = await trx.deleteFrom('queues').where('tenant_id', '=', tenantId).where('id', '=', current.id).returning('name').executeTakeFirst();
        if (!row) throw new NotFoundError('queue', ref);
        await audit.record(tenantId, { actor: by, action: 'queue.remove', subject: `queue:${row.name}` }, trx);
      });
    },
  };
}
