/**
 * Tenants are the root of scoping: the only table without tenant_id, read by id or slug
 * when a request or a call has already been attributed to one.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { NotFoundError, ValidationError, mapConflict } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Database, Tenant } from '../schema.ts';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface TenantsRepository {
  create(input: { slug: string; name: string }): Promise<Tenant>;
  /** Throws NotFoundError. */
  get(id: string): Promise<Tenant>;
  findBySlug(slug: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
}

export function tenantsRepository(db: Kysely<Database>, clock: Clock): TenantsRepository {
  return {
    async create({ slug, name }) {
      if (!SLUG.test(slug)) throw new ValidationError('slug', 'lower-case letters, digits and "-", at most 63');
      if (name.trim() === '') throw new ValidationError('name', 'must not be empty');
      try {
        return await db
          .insertInto('tenants')
          .values({ slug, name, created_at: new Date(clock.wallNow()) })
          .returningAll()
          .executeTakeFirstOrThrow();
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
  };
}
