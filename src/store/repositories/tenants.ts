/**
 * Tenants are the root of scoping: the only table without tenant_id, read by id or slug
 * when a request or a call has already been attributed to one. The operator tenant (the
 * demo tenant of the first start) is the one whose admins may create other tenants.
 * Creation is audited in the new tenant's own log (tenant:<id>).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { NotFoundError, ValidationError, mapConflict } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Database, Tenant } from '../schema.ts';
import { auditRepository } from './audit.ts';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface TenantsRepository {
  create(input: { slug: string; name: string; operator?: boolean }, by?: string): Promise<Tenant>;
  /** Throws NotFoundError. */
  get(id: string): Promise<Tenant>;
  findBySlug(slug: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  /** Marks a tenant as the installation's operator. Throws NotFoundError. */
  setOperator(id: string, operator: boolean, by: string): Promise<Tenant>;
}

export function tenantsRepository(db: Kysely<Database>, clock: Clock): TenantsRepository {
  const audit = auditRepository(db, clock);
  return {
    async create({ slug, name, operator }, by = 'system') {
      if (!SLUG.test(slug)) throw new ValidationError('slug', 'lower-case letters, digits and "-", at most 63');
      if (name.trim() === '') throw new ValidationError('name', 'must not be empty');
      try {
        return await db.transaction().execute(async (trx) => {
          const tenant = await trx
            .insertInto('tenants')
            .values({ slug, name, operator: operator ?? false, created_at: new Date(clock.wallNow()) })
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit.record(tenant.id, { actor: by, action: 'tenant.create', subject: `tenant:${tenant.id}`, detail: { slug, name, operator: tenant.operator } }, trx);
          return tenant;
        });
      } catch (err) {
        throw mapConflict(err, `tenant ${slug}`);
      }
    },

    async get(id) {
      const row = isUuid(id) ? await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
      if (!row) throw new NotFoundError('tenant', id);
      return row;
    },

    findBySlug(slug) {
      return db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
    },

    list() {
      return db.selectFrom('tenants').selectAll().orderBy('slug').execute();
    },

    async setOperator(id, operator, by) {
      if (!isUuid(id)) throw new NotFoundError('tenant', id);
      return db.transaction().execute(async (trx) => {
        const row = await trx.updateTable('tenants').set({ operator }).where('id', '=', id).returningAll().executeTakeFirst();
        if (!row) throw new NotFoundError('tenant', id);
        await audit.record(id, { actor: by, action: 'tenant.operator', subject: `tenant:${id}`, detail: { operator } }, trx);
        return row;
      });
    },
  };
}
