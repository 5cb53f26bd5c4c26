/**
 * Queues, agents and what callers leave behind (issue 4): agents (SIP digest HA1s, never
 * the password; skills; groups), queues (a validated queue config as jsonb), callbacks and
 * voicemails (durable the moment a caller is told so), recordings, the tenant's outbound
 * trunk (HA1 only), one CDR row per queue visit and the agent state log for statistics.
 * As in 001/002, children reference their parent by (tenant_id, id), so the database refuses
 * a row pointing into another tenant; optional references clear only their own column on
 * delete (ON DELETE SET NULL (column), PostgreSQL 15+). call_id columns carry no foreign
 * key: the call record is written in batches after the fact, a callback is not.
 * States and kinds are text with CHECK, like roles in 001.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrate.ts';

const statements = [
  sql`CREATE TABLE agents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    extension text NOT NULL CHECK (extension ~ '^[0-9]{2,15}$'),
    sip_ha1_md5 text CHECK (sip_ha1_md5 ~ '^[0-9a-f]{32}$'),
    sip_ha1_sha256 text CHECK (sip_ha1_sha256 ~ '^[0-9a-f]{64}$'),
    skills jsonb NOT NULL DEFAULT '{}'::jsonb,
    groups jsonb NOT NULL DEFAULT '[]'::jsonb,
    wrap_up_seconds integer CHECK (wrap_up_seconds >= 0),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (tenant_id, extension),
    UNIQUE (tenant_id, user_id),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
  )`,
  // SIP registration finds an agent by extension alone when the domain is not a tenant's slug.
  sql`CREATE INDEX agents_extension ON agents (extension)`,
  sql`CREATE TABLE queues (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    config jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
  )`,
  sql`CREATE TABLE voicemails (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    line_id uuid,
    queue text,
    call_id uuid,
    caller_number text NOT NULL,
    recorded_at timestamptz NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    path text NOT NULL,
    ivr_path jsonb NOT NULL DEFAULT '[]'::jsonb,
    digits text NOT NULL DEFAULT '',
    assigned_to uuid,
    state text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'assigned', 'done')),
    updated_at timestamptz NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, line_id) REFERENCES lines (tenant_id, id) ON DELETE SET NULL (line_id),
    FOREIGN KEY (tenant_id, assigned_to) REFERENCES users (tenant_id, id) ON DELETE SET NULL (assigned_to)
  )`,
  sql`CREATE INDEX voicemails_tenant_recorded ON voicemails (tenant_id, recorded_at DESC)`,
  sql`CREATE TABLE callbacks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    line_id uuid,
    queue text,
    caller_number text NOT NULL,
    requested_at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('keep-place', 'scheduled', 'voicemail')),
    due_at timestamptz,
    window_start timestamptz,
    window_end timestamptz,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'due', 'in-progress', 'done', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    claimed_by text,
    ivr_path jsonb NOT NULL DEFAULT '[]'::jsonb,
    digits text NOT NULL DEFAULT '',
    voicemail_id uuid,
    call_id uuid,
    agent_id uuid,
    result text,
    position_entered_at timestamptz,
    updated_at timestamptz NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, line_id) REFERENCES lines (tenant_id, id) ON DELETE SET NULL (line_id),
    FOREIGN KEY (tenant_id, voicemail_id) REFERENCES voicemails (tenant_id, id) ON DELETE SET NULL (voicemail_id),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id)
  )`,
  sql`CREATE INDEX callbacks_tenant_requested ON callbacks (tenant_id, requested_at DESC)`,
  // What the outbound worker polls: open callbacks by their next attempt.
  sql`CREATE INDEX callbacks_open ON callbacks (next_attempt_at) WHERE state IN ('pending', 'due')`,
  sql`CREATE TABLE recordings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id uuid NOT NULL,
    queue text,
    agent_id uuid,
    path text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('stereo', 'mixed')),
    started_at timestamptz NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    created_at timestamptz NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id)
  )`,
  sql`CREATE INDEX recordings_tenant_started ON recordings (tenant_id, started_at DESC)`,
  sql`CREATE INDEX recordings_call ON recordings (tenant_id, call_id)`,
  sql`CREATE TABLE trunks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    uri text NOT NULL,
    username text,
    realm text,
    ha1_md5 text CHECK (ha1_md5 ~ '^[0-9a-f]{32}$'),
    caller_id text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
  )`,
  sql`CREATE TABLE queue_calls (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id uuid NOT NULL,
    queue text NOT NULL,
    entered_at timestamptz NOT NULL,
    offered_count integer NOT NULL DEFAULT 0,
    answered_at timestamptz,
    agent_id uuid,
    ended_at timestamptz,
    outcome text CHECK (outcome IN ('answered', 'abandoned', 'callback', 'voicemail', 'overflow', 'target')),
    wait_ms integer,
    talk_ms integer,
    wrap_ms integer,
    wrap_code text,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id)
  )`,
  sql`CREATE INDEX queue_calls_tenant_entered ON queue_calls (tenant_id, entered_at DESC)`,
  sql`CREATE INDEX queue_calls_call ON queue_calls (tenant_id, call_id)`,
  sql`CREATE INDEX queue_calls_agent_answered ON queue_calls (tenant_id, agent_id, answered_at)`,
  sql`CREATE TABLE agent_events (
    seq bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    at timestamptz NOT NULL,
    state text NOT NULL CHECK (state IN ('offline', 'available', 'ringing', 'on-call', 'wrap-up', 'break')),
    reason text,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
  )`,
  sql`CREATE INDEX agent_events_agent_at ON agent_events (tenant_id, agent_id, at, seq)`,
];

export const acd: Migration = {
  version: 4,
  name: 'acd',
  async up(db: Kysely<unknown>): Promise<void> {
    // One statement per call: PGlite's query API (extended protocol) takes a single statement.
    for (const statement of statements) await statement.execute(db);
  },
};
