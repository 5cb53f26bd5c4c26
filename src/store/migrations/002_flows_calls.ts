/**
 * Flows (immutable versions, one published), schedules, live announcement slots and call
 * records, plus the operator tenant flag and a line's flow. As in 001, children reference
 * their parent by (tenant_id, id), so the database refuses a row pointing into another
 * tenant. Optional references to a flow or a line use ON DELETE SET NULL (column) — only
 * that column is cleared, never tenant_id (PostgreSQL 15+).
 * Documents and states are jsonb: they are read and written whole, validated by the
 * application (validateFlow, parseSchedule, applyChange) before they are stored.
 * announcement_presets.position keeps the presets in the order they were given (normal →
 * outage → recovered reads as the stages of an incident).
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrate.ts';

const statements = [
  sql`ALTER TABLE tenants ADD COLUMN operator boolean NOT NULL DEFAULT false`,
  // Order of entries written within one clock tick (flow rollback reads the publish history).
  sql`ALTER TABLE audit_log ADD COLUMN seq bigserial`,
  sql`CREATE INDEX audit_log_subject ON audit_log (tenant_id, subject, seq)`,
  sql`CREATE TABLE flows (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL,
    published_version integer,
    published_at timestamptz,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
  )`,
  sql`CREATE TABLE flow_versions (
    tenant_id uuid NOT NULL,
    flow_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    document jsonb NOT NULL,
    comment text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (flow_id, version),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id) ON DELETE CASCADE
  )`,
  // The published version must be a stored version of the same flow.
  sql`ALTER TABLE flows ADD CONSTRAINT flows_published_version_fkey
    FOREIGN KEY (id, published_version) REFERENCES flow_versions (flow_id, version)`,
  sql`ALTER TABLE lines ADD COLUMN flow_id uuid`,
  sql`ALTER TABLE lines ADD CONSTRAINT lines_flow_fkey
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id) ON DELETE SET NULL (flow_id)`,
  sql`CREATE TABLE schedules (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    document jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
  )`,
  sql`CREATE TABLE announcement_presets (
    tenant_id uuid NOT NULL,
    line_id uuid NOT NULL,
    slot text NOT NULL,
    name text NOT NULL,
    text text,
    position integer NOT NULL,
    PRIMARY KEY (line_id, slot, name),
    FOREIGN KEY (tenant_id, line_id) REFERENCES lines (tenant_id, id) ON DELETE CASCADE
  )`,
  sql`CREATE TABLE announcement_slots (
    tenant_id uuid NOT NULL,
    line_id uuid NOT NULL,
    slot text NOT NULL,
    state jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (line_id, slot),
    FOREIGN KEY (tenant_id, line_id) REFERENCES lines (tenant_id, id) ON DELETE CASCADE
  )`,
  sql`CREATE INDEX announcement_slots_updated ON announcement_slots (updated_at)`,
  sql`CREATE TABLE calls (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    line_id uuid,
    caller text NOT NULL,
    dialled text NOT NULL,
    legs jsonb NOT NULL DEFAULT '[]'::jsonb,
    flow_id uuid,
    flow_version integer,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    outcome text,
    target jsonb,
    journey jsonb NOT NULL DEFAULT '[]'::jsonb,
    variables jsonb NOT NULL DEFAULT '{}'::jsonb,
    FOREIGN KEY (tenant_id, line_id) REFERENCES lines (tenant_id, id) ON DELETE SET NULL (line_id),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id) ON DELETE SET NULL (flow_id)
  )`,
  sql`CREATE INDEX calls_tenant_started ON calls (tenant_id, started_at DESC)`,
  // Lookup by SIP Call-ID: legs @> '[{"sipCallId": "…"}]'.
  sql`CREATE INDEX calls_legs ON calls USING gin (legs jsonb_path_ops)`,
];

export const flowsCalls: Migration = {
  version: 2,
  name: 'flows_calls',
  async up(db: Kysely<unknown>): Promise<void> {
    // One statement per call: PGlite's query API (extended protocol) takes a single statement.
    for (const statement of statements) await statement.execute(db);
  },
};
