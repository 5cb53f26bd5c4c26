/**
 * Voicemails ("leave a message"): the WAV's path under the data directory, with the
 * caller's number, time, IVR path and digits. Like callbacks, create() resolves only after
 * commit, because the caller is told the message is recorded right after; when the line
 * asks for it, createWithCallback() commits the voicemail and its callback task in one
 * transaction, so there is never one without the other. Listed newest first, assigned to a
 * user of the tenant (new → assigned → done).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { checkDataPath } from '../data-path.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import { VOICEMAIL_STATES, type Database } from '../schema.ts';
import { callbackRow, toCallbackView, type CallbackView, type NewCallback } from './callbacks.ts';

export type VoicemailState = (typeof VOICEMAIL_STATES)[number];

export interface VoicemailView {
  id: string;
  tenantId: string;
  lineId: string | null;
  queue: string | null;
  callId: string | null;
  callerNumber: string;
  recordedAt: Date;
  durationMs: number;
  /** Relative to the data directory. */
  path: string;
  ivrPath: string[];
  digits: string;
  assignedTo: string | null;
  state: VoicemailState;
  updatedAt: Date;
}

export interface NewVoicemail {
  lineId: string;
  queue?: string | null;
  callId?: string | null;
  callerNumber: string;
  recordedAt: Date;
  durationMs: number;
  path: string;
  ivrPath?: string[];
  digits?: string;
}

export interface VoicemailsRepository {
  /** Resolves after commit. NotFoundError (line), ValidationError. */
  create(tenantId: string, input: NewVoicemail): Promise<VoicemailView>;
  /** The voicemail and a callback (kind 'voicemail' unless given, voicemailId set) in one transaction. */
  createWithCallback(
    tenantId: string,
    input: NewVoicemail,
    callback: Omit<NewCallback, 'lineId' | 'callerNumber' | 'voicemailId' | 'kind'> & { kind?: NewCallback['kind'] },
  ): Promise<{ voicemail: VoicemailView; callback: CallbackView }>;
  /** NotFoundError. */
  get(tenantId: string, id: string): Promise<VoicemailView>;
  /** Newest first; limit default 50, at most 500; `before` is the cursor (recordedAt of the previous page's last). */
  list(
    tenantId: string,
    q?: { state?: VoicemailState; lineId?: string; queue?: string; assignedTo?: string; since?: Date; until?: Date; before?: Date; limit?: number },
  ): Promise<VoicemailView[]>;
  /** Assigns to a user of the tenant (state assigned), or unassigns (null: back to new). NotFoundError (voicemail, user). */
  assign(tenantId: string, id: string, userId: string | null): Promise<VoicemailView>;
  /** Marks it worked. NotFoundError. */
  done(tenantId: string, id: string): Promise<VoicemailView>;
}

const COLUMNS = [
  'id',
  'tenant_id',
  'line_id',
  'queue',
  'call_id',
  'caller_number',
  'recorded_at',
  'duration_ms',
  'path',
  'ivr_path',
  'digits',
  'assigned_to',
  'state',
  'updated_at',
] as const;

function toView(r: {
  id: string;
  tenant_id: string;
  line_id: string | null;
  queue: string | null;
  call_id: string | null;
  caller_number: string;
  recorded_at: Date;
  duration_ms: number;
  path: string;
  ivr_path: string[];
  digits: string;
  assigned_to: string | null;
  state: VoicemailState;
  updated_at: Date;
}): VoicemailView {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    lineId: r.line_id,
    queue: r.queue,
    callId: r.call_id,
    callerNumber: r.caller_number,
    recordedAt: r.recorded_at,
    durationMs: r.duration_ms,
    path: r.path,
    ivrPath: r.ivr_path,
    digits: r.digits,
    assignedTo: r.assigned_to,
    state: r.state,
    updatedAt: r.updated_at,
  };
}

const CALLER = /^[^\s]{1,64}$/;

function voicemailRow(tenantId: string, input: NewVoicemail, now: Date) {
  requireId('tenant', tenantId);
  requireId('line', input.lineId);
  if (!CALLER.test(input.callerNumber)) throw new ValidationError('callerNumber', 'the caller\'s number');
  if (!Number.isInteger(input.durationMs) || input.durationMs < 0) throw new ValidationError('durationMs', 'a non-negative integer');
  if (input.callId !== undefined && input.callId !== null && !isUuid(input.callId)) throw new ValidationError('callId', 'a uuid');
  const ivrPath = input.ivrPath ?? [];
  if (!Array.isArray(ivrPath) || ivrPath.some((p) => typeof p !== 'string')) throw new ValidationError('ivrPath', 'a list of node ids');
  const digits = input.digits ?? '';
  if (!/^[0-9*#A-D]{0,256}$/.test(digits)) throw new ValidationError('digits', 'DTMF digits');
  return {
    tenant_id: tenantId,
    line_id: input.lineId,
    queue: input.queue ?? null,
    call_id: input.callId ?? null,
    caller_number: input.callerNumber,
    recorded_at: input.recordedAt,
    duration_ms: input.durationMs,
    path: checkDataPath(input.path),
    ivr_path: JSON.stringify(ivrPath),
    digits,
    updated_at: now,
  };
}

function mapForeignKey(err: unknown, tenantId: string, lineId: string): unknown {
  if (sqlState(err)?.code !== FOREIGN_KEY_VIOLATION) return err;
  return sqlState(err)?.constraint?.includes('line') ? new NotFoundError('line', lineId) : new NotFoundError('tenant', tenantId);
}

export function voicemailsRepository(db: Kysely<Database>, clock: Clock): VoicemailsRepository {
  const get = async (tenantId: string, id: string): Promise<VoicemailView> => {
    const row =
      isUuid(tenantId) && isUuid(id)
        ? await db.selectFrom('voicemails').select(COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
        : undefined;
    if (!row) throw new NotFoundError('voicemail', id);
    return toView(row);
  };

  return {
    async create(tenantId, input) {
      const values = voicemailRow(tenantId, input, new Date(clock.wallNow()));
      try {
        // Autocommit: the INSERT has committed when it returns.
        return toView(await db.insertInto('voicemails').values(values).returning(COLUMNS).executeTakeFirstOrThrow());
      } catch (err) {
        throw mapForeignKey(err, tenantId, input.lineId);
      }
    },

    async createWithCallback(tenantId, input, callback) {
      const now = new Date(clock.wallNow());
      const values = voicemailRow(tenantId, input, now);
      // Checked before the transaction: a refused callback must not leave the voicemail alone.
      callbackRow(tenantId, { ...callback, kind: callback.kind ?? 'voicemail', lineId: input.lineId, callerNumber: input.callerNumber }, now);
      try {
        return await db.transaction().execute(async (trx) => {
          const vm = await trx.insertInto('voicemails').values(values).returning(COLUMNS).executeTakeFirstOrThrow();
          const cbValues = callbackRow(
            tenantId,
            {
              ...callback,
              kind: callback.kind ?? 'voicemail',
              lineId: input.lineId,
              callerNumber: input.callerNumber,
              voicemailId: vm.id,
              callId: callback.callId ?? input.callId ?? null,
              queue: callback.queue ?? input.queue ?? null,
              ivrPath: callback.ivrPath ?? input.ivrPath ?? [],
              digits: callback.digits ?? input.digits ?? '',
            },
            now,
          );
          const cb = await trx.insertInto('callbacks').values(cbValues).returningAll().executeTakeFirstOrThrow();
          return { voicemail: toView(vm), callback: toCallbackView(cb) };
        });
      } catch (err) {
        throw mapForeignKey(err, tenantId, input.lineId);
      }
    },

    get,

    async list(tenantId, q = {}) {
      if (!isUuid(tenantId)) return [];
      const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 50)), 500);
      let query = db.selectFrom('voicemails').select(COLUMNS).where('tenant_id', '=', tenantId);
      if (q.state !== undefined) query = query.where('state', '=', q.state);
      if (q.lineId !== undefined) {
        if (!isUuid(q.lineId)) return [];
        query = query.where('line_id', '=', q.lineId);
      }
      if (q.assignedTo !== undefined) {
        if (!isUuid(q.assignedTo)) return [];
        query = query.where('assigned_to', '=', q.assignedTo);
      }
      if (q.queue !== undefined) query = query.where('queue', '=', q.queue);
      if (q.since !== undefined) query = query.where('recorded_at', '>=', q.since);
      if (q.until !== undefined) query = query.where('recorded_at', '<', q.until);
      if (q.before !== undefined) query = query.where('recorded_at', '<', q.before);
      const rows = await query.orderBy('recorded_at', 'desc').orderBy('id').limit(limit).execute();
      return rows.map(toView);
    },

    async assign(tenantId, id, userId) {
      await get(tenantId, id);
      if (userId !== null && !isUuid(userId)) throw new NotFoundError('user', userId);
      try {
        const row = await db
          .updateTable('voicemails')
          .set({ assigned_to: userId, state: userId === null ? 'new' : 'assigned', updated_at: new Date(clock.wallNow()) })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .returning(COLUMNS)
          .executeTakeFirst();
        if (!row) throw new NotFoundError('voicemail', id);
        return toView(row);
      } catch (err) {
        // The composite key refuses a user of another tenant exactly like a missing one.
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('user', userId ?? '');
        throw err;
      }
    },

    async done(tenantId, id) {
      await get(tenantId, id);
      const row = await db
        .updateTable('voicemails')
        .set({ state: 'done', updated_at: new Date(clock.wallNow()) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returning(COLUMNS)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('voicemail', id);
      return toView(row);
    },
  };
}
