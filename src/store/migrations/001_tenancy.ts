/**
 * Tenancy, lines and numbers. Every tenant-owned table carries tenant_id NOT NULL with a
 * foreign key; child rows reference their parent by (tenant_id, id) so that the database
 * itself refuses a row pointing into another tenant, whatever the application code does.
 * Roles are text with CHECK rather than an enum type: adding a role is then one ALTER of a
 * constraint inside a transaction, which enum types historically did not allow.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrate.ts';

const statements = [
  sql`CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  sql`CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    username text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    password_hash text,
    created_at timestamptz NOT NULL,
    UNIQUE (tenant_id, username),
    UNIQUE (tenant_id, id)
  )`,
  sql`CREATE TABLE api_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    prefix text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
  )`,
  sql`CREATE INDEX api_keys_tenant ON api_keys (tenant_id)`,
  sql`CREATE TABLE lines (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    time_zone text NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
  )`,
  sql`CREATE TABLE numbers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    line_id uuid NOT NULL,
    digits text NOT NULL UNIQUE CHECK (digits ~ '^[+]?[0-9]{2,20}$'),
    created_at timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, line_id) REFERENCES lines (tenant_id, id) ON DELETE CASCADE
  )`,
  sql`CREATE INDEX numbers_line ON numbers (tenant_id, line_id)`,
  sql`CREATE TABLE audit_log (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    at timestamptz NOT NULL
  )`,
  sql`CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at)`,
];

export const tenancy: Migration = {
  version: 1,
  name: 'tenancy',
  async up(db: Kysely<unknown>): Promise<void> {
    // One statement per call: PGlite's query API (extended protocol) takes a single statement.
    for (const statement of statements) await statement.execute(db);
  },
};
