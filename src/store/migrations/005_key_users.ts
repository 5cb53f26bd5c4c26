/**
 * An API key may speak for a user (C24): an agent's key is then its agent's by the user it
 * names, not by a key name that happens to equal an extension. The key goes when its user
 * does (ON DELETE CASCADE), and a user of another tenant cannot be named (the foreign key
 * includes tenant_id). Keys without a user keep working as before.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrate.ts';

export const keyUsers: Migration = {
  version: 5,
  name: 'key_users',
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE api_keys ADD COLUMN user_id uuid`.execute(db);
    await sql`ALTER TABLE api_keys ADD CONSTRAINT api_keys_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE`.execute(db);
    await sql`CREATE INDEX api_keys_user ON api_keys (tenant_id, user_id)`.execute(db);
  },
};
