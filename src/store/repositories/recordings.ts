/**
 * Call recordings: one row per recorded bridge (caller ↔ agent), pointing at a WAV by its
 * path relative to the data directory (SURGELINE_DATA_DIR/recordings/<tenant>/<day>/<call>.wav
 * as the recorder writes it), stereo (caller left, agent right) or mixed. Who may hear a
 * recording is the API's decision; the store only keeps where it is. Tenant-scoped.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { auditRepository } from './audit.ts';
import { checkDataPath } from '../data-path.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import { RECORDING_MODES, type Database } from '../schema.ts';

export type RecordingMode = (typeof RECORDING_MODES)[number];

export interface RecordingView {
  id: string;
  tenantId: string;
  callId: string;
  queue: string | null;
  agentId: string | null;
  path: string;
  mode: RecordingMode;
  startedAt: Date;
  durationMs: number;
  /** Stretches of silence where the recording was paused (ms from its start). */
  pauses: RecordingPauseView[];
  createdAt: Date;
}

export interface RecordingPauseView {
  startMs: number;
  endMs: number;
}

export interface NewRecording {
  callId: string;
  queue?: string | null;
  agentId?: string | null;
  path: string;
  mode: RecordingMode;
  startedAt: Date;
  durationMs: number;
  pauses?: RecordingPauseView[];
}

export interface RecordingsRepository {
  /** NotFoundError (tenant, agent), ValidationError. */
  create(tenantId: string, input: NewRecording): Promise<RecordingView>;
  /** NotFoundError. */
  get(tenantId: string, id: string): Promise<RecordingView>;
  /** Newest first; limit default 50, at most 500. */
  list(tenantId: string, q?: { callId?: string; agentId?: string; queue?: string; since?: Date; until?: Date; before?: Date; limit?: number }): Promise<RecordingView[]>;
  /** A queue's recordings that started before `before`, oldest first (retention); limit default 100. */
  expired(tenantId: string, queue: string, before: Date, limit?: number): Promise<RecordingView[]>;
  /** Deletes the record (the file is the caller's); audit 'recording.expire' by `by`. NotFoundError. */
  remove(tenantId: string, id: string, by: string): Promise<void>;
}

const COLUMNS = ['id', 'tenant_id', 'call_id', 'queue', 'agent_id', 'path', 'mode', 'started_at', 'duration_ms', 'pauses', 'created_at'] as const;

const toView = (r: {
  id: string;
  tenant_id: string;
  call_id: string;
  queue: string | null;
  agent_id: string | null;
  path: string;
  mode: RecordingMode;
  started_at: Date;
  duration_ms: number;
  pauses: RecordingPauseView[];
  created_at: Date;
}): RecordingView => ({
  id: r.id,
  tenantId: r.tenant_id,
  callId: r.call_id,
  queue: r.queue,
  agentId: r.agent_id,
  path: r.path,
  mode: r.mode,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  pauses: r.pauses,
  createdAt: r.created_at,
});

export function recordingsRepository(db: Kysely<Database>, clock: Clock): RecordingsRepository {
  return {
    async create(tenantId, input) {
      requireId('tenant', tenantId);
      if (!isUuid(input.callId)) throw new ValidationError('callId', 'a uuid');
      if (input.agentId !== undefined && input.agentId !== null) requireId('agent', input.agentId);
      if (!RECORDING_MODES.includes(input.mode)) throw new ValidationError('mode', `one of ${RECORDING_MODES.join(', ')}`);
      if (!Number.isInteger(input.durationMs) || input.durationMs < 0) throw new ValidationError('durationMs', 'a non-negative integer');
      const path = checkDataPath(input.path);
      const pauses = input.pauses ?? [];
      let last = 0;
      for (const [i, p] of pauses.entries()) {
        if (!Number.isInteger(p.startMs) || !Number.isInteger(p.endMs) || p.startMs < last || p.endMs < p.startMs || p.endMs > input.durationMs) {
          throw new ValidationError(`pauses[${i}]`, 'integer ms, in order, inside the recording');
        }
        last = p.endMs;
      }
      try {
        const row = await db
          .insertInto('recordings')
          .values({
            tenant_id: tenantId,
            call_id: input.callId,
            queue: input.queue ?? null,
            agent_id: input.agentId ?? null,
            path,
            mode: input.mode,
            started_at: input.startedAt,
            duration_ms: input.durationMs,
            pauses: JSON.stringify(pauses.map((p) => ({ startMs: p.startMs, endMs: p.endMs }))),
            created_at: new Date(clock.wallNow()),
          })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow();
        return toView(row);
      } catch (err) {
        const s = sqlState(err);
        if (s?.code === FOREIGN_KEY_VIOLATION) {
          throw s.constraint?.includes('agent') ? new NotFoundError('agent', input.agentId ?? '') : new NotFoundError('tenant', tenantId);
        }
        throw err;
      }
    },

    async expired(tenantId, queue, before, limit = 100) {
      if (!isUuid(tenantId)) return [];
      const rows = await db
        .selectFrom('recordings')
        .select(COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('queue', '=', queue)
        .where('started_at', '<', before)
        .orderBy('started_at', 'asc')
        .limit(Math.min(Math.max(1, limit), 1000))
        .execute();
      return rows.map(toView);
    },

    async remove(tenantId, id, by) {
      if (!isUuid(tenantId) || !isUuid(id)) throw new NotFoundError('recording', id);
      const gone = await db.deleteFrom('recordings').where('tenant_id', '=', tenantId).where('id', '=', id).returning(['id', 'queue', 'started_at']).executeTakeFirst();
      if (!gone) throw new NotFoundError('recording', id);
      await auditRepository(db, clock).record(tenantId, { actor: by, action: 'recording.expire', subject: `recording:${id}`, detail: { queue: gone.queue, startedAt: gone.started_at.toISOString() } });
    },

    async get(tenantId, id) {
      const row =
        isUuid(tenantId) && isUuid(id)
          ? await db.selectFrom('recordings').select(COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
          : undefined;
      if (!row) throw new NotFoundError('recording', id);
      return toView(row);
    },

    async list(tenantId, q = {}) {
      if (!isUuid(tenantId)) return [];
      if ((q.callId !== undefined && !isUuid(q.callId)) || (q.agentId !== undefined && !isUuid(q.agentId))) return [];
      const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 50)), 500);
      let query = db.selectFrom('recordings').select(COLUMNS).where('tenant_id', '=', tenantId);
      if (q.callId !== undefined) query = query.where('call_id', '=', q.callId);
      if (q.agentId !== undefined) query = query.where('agent_id', '=', q.agentId);
      if (q.queue !== undefined) query = query.where('queue', '=', q.queue);
      if (q.since !== undefined) query = query.where('started_at', '>=', q.since);
      if (q.until !== undefined) query = query.where('started_at', '<', q.until);
      if (q.before !== undefined) query = query.where('started_at', '<', q.before);
      const rows = await query.orderBy('started_at', 'desc').orderBy('id').limit(limit).execute();
      return rows.map(toView);
    },
  };
}
