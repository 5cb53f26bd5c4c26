/**
 * Callback requests: a caller who pressed "#" (keep my place), picked a slot (scheduled) or
 * left a message (voicemail) and is to be called back. create() resolves only once the row
 * is committed — the runtime awaits it before the caller hears "we will call you back", so
 * a crash after the prompt loses nothing (product contract).
 *
 * Life of a callback: pending (waiting for next_attempt_at, by default its due time) → due
 * (markDue: its place in the queue came, or an operator pushed it) → in-progress (claimed
 * by one worker: claimDue / claim, attempts + 1) → done | pending again after a retry
 * spacing | failed after max_attempts; cancelled from pending/due. release() hands a claim
 * back without counting it (nobody was dialled); releaseClaims() does that for every claim
 * of a worker that restarted. claimDue is one UPDATE over a FOR UPDATE SKIP LOCKED
 * sub-select: several nodes polling one PostgreSQL never claim the same row (PGlite has a
 * single session, so the question does not arise there).
 */
import { sql, type Insertable, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { ConflictError, FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import { CALLBACK_KINDS, CALLBACK_STATES, type CallbacksTable, type Database } from '../schema.ts';

export type CallbackKind = (typeof CALLBACK_KINDS)[number];
export type CallbackState = (typeof CALLBACK_STATES)[number];

export interface CallbackView {
  id: string;
  tenantId: string;
  lineId: string | null;
  queue: string | null;
  callerNumber: string;
  requestedAt: Date;
  kind: CallbackKind;
  /** The time the caller was told (estimated or chosen). */
  dueAt: Date | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  state: CallbackState;
  attempts: number;
  maxAttempts: number;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  claimedBy: string | null;
  ivrPath: string[];
  digits: string;
  voicemailId: string | null;
  callId: string | null;
  agentId: string | null;
  result: string | null;
  positionEnteredAt: Date | null;
  updatedAt: Date;
}

export interface NewCallback {
  lineId: string;
  queue?: string | null;
  callerNumber: string;
  kind: CallbackKind;
  /** Default: the clock's now. */
  requestedAt?: Date;
  dueAt?: Date | null;
  windowStart?: Date | null;
  windowEnd?: Date | null;
  /** When a worker may first claim it; default dueAt, else requestedAt. */
  nextAttemptAt?: Date | null;
  /** Default 3. */
  maxAttempts?: number;
  ivrPath?: string[];
  digits?: string;
  voicemailId?: string | null;
  /** The call that asked. */
  callId?: string | null;
  /** Keep-place: when the caller entered the queue (orders callbacks among waiting calls). */
  positionEnteredAt?: Date | null;
}

export interface CallbackQuery {
  state?: CallbackState | CallbackState[];
  lineId?: string;
  queue?: string;
  since?: Date;
  until?: Date;
  /** Cursor: requestedAt of the last row of the previous page. */
  before?: Date;
  /** Default 50, at most 500. */
  limit?: number;
}

export interface CallbacksRepository {
  /** Resolves after commit. NotFoundError (line, voicemail), ValidationError. */
  create(tenantId: string, input: NewCallback): Promise<CallbackView>;
  /** NotFoundError. */
  get(tenantId: string, id: string): Promise<CallbackView>;
  /** Newest request first. */
  list(tenantId: string, q?: CallbackQuery): Promise<CallbackView[]>;
  /** Callbacks requested in [since, until) (of one queue) by state: what is still open after an event. */
  countByState(tenantId: string, q: { since: Date; until: Date; queue?: string }): Promise<Partial<Record<CallbackState, number>>>;
  /**
   * Claims up to `limit` callbacks (pending or due, next_attempt_at <= now, inside their
   * window) and marks them in-progress, oldest next attempt first. Across tenants unless
   * `tenantId` is given: one outbound worker serves them all.
   */
  claimDue(now: Date, limit: number, opts?: { tenantId?: string; claimedBy?: string }): Promise<CallbackView[]>;
  /** Claims one callback whatever its time (keep-place: an agent is about to be free). undefined when it is not pending/due. */
  claim(tenantId: string, id: string, now: Date, claimedBy?: string): Promise<CallbackView | undefined>;
  /** pending → due, claimable from `now`. NotFoundError, ConflictError when not pending/due. */
  markDue(tenantId: string, id: string, now: Date): Promise<CallbackView>;
  /** in-progress → done. NotFoundError, ConflictError when not in-progress. */
  complete(tenantId: string, id: string, done: { at: Date; agentId?: string | null; result?: string }): Promise<CallbackView>;
  /**
   * in-progress → pending with next attempt at + spacingMs (or notBefore, when later: the
   * next calling window), or → failed when max attempts are spent. NotFoundError, ConflictError.
   */
  retry(tenantId: string, id: string, r: { at: Date; result: string; spacingMs: number; notBefore?: Date; agentId?: string | null }): Promise<CallbackView>;
  /** in-progress → failed. NotFoundError, ConflictError. */
  fail(tenantId: string, id: string, f: { at: Date; result: string }): Promise<CallbackView>;
  /** in-progress → due, the attempt not counted (nobody was dialled). NotFoundError, ConflictError. */
  release(tenantId: string, id: string, at: Date): Promise<CallbackView>;
  /** pending/due → cancelled. NotFoundError, ConflictError. */
  cancel(tenantId: string, id: string, by: string): Promise<CallbackView>;
  /** Every in-progress callback claimed by `claimedBy` back to due (a restarted worker); the count. Unscoped by design. */
  releaseClaims(claimedBy: string, at: Date): Promise<number>;
}

const COLUMNS = [
  'id',
  'tenant_id',
  'line_id',
  'queue',
  'caller_number',
  'requested_at',
  'kind',
  'due_at',
  'window_start',
  'window_end',
  'state',
  'attempts',
  'max_attempts',
  'last_attempt_at',
  'next_attempt_at',
  'claimed_by',
  'ivr_path',
  'digits',
  'voicemail_id',
  'call_id',
  'agent_id',
  'result',
  'position_entered_at',
  'updated_at',
] as const;

interface Row {
  id: string;
  tenant_id: string;
  line_id: string | null;
  queue: string | null;
  caller_number: string;
  requested_at: Date;
  kind: CallbackKind;
  due_at: Date | null;
  window_start: Date | null;
  window_end: Date | null;
  state: CallbackState;
  attempts: number;
  max_attempts: number;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  claimed_by: string | null;
  ivr_path: string[];
  digits: string;
  voicemail_id: string | null;
  call_id: string | null;
  agent_id: string | null;
  result: string | null;
  position_entered_at: Date | null;
  updated_at: Date;
}

export function toCallbackView(r: Row): CallbackView {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    lineId: r.line_id,
    queue: r.queue,
    callerNumber: r.caller_number,
    requestedAt: r.requested_at,
    kind: r.kind,
    dueAt: r.due_at,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    state: r.state,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    lastAttemptAt: r.last_attempt_at,
    nextAttemptAt: r.next_attempt_at,
    claimedBy: r.claimed_by,
    ivrPath: r.ivr_path,
    digits: r.digits,
    voicemailId: r.voicemail_id,
    callId: r.call_id,
    agentId: r.agent_id,
    result: r.result,
    positionEnteredAt: r.position_entered_at,
    updatedAt: r.updated_at,
  };
}

const CALLER = /^[^\s]{1,64}$/;
const DIGITS = /^[0-9*#A-D]{0,256}$/;

/** Checks a callback request and returns its row (shared with voicemails.createWithCallback). */
export function callbackRow(tenantId: string, input: NewCallback, now: Date): Insertable<CallbacksTable> {
  requireId('tenant', tenantId);
  requireId('line', input.lineId);
  if (!CALLBACK_KINDS.includes(input.kind)) throw new ValidationError('kind', `one of ${CALLBACK_KINDS.join(', ')}`);
  if (!CALLER.test(input.callerNumber)) throw new ValidationError('callerNumber', 'a number to call back');
  const digits = input.digits ?? '';
  if (!DIGITS.test(digits)) throw new ValidationError('digits', 'DTMF digits');
  const ivrPath = input.ivrPath ?? [];
  if (!Array.isArray(ivrPath) || ivrPath.some((p) => typeof p !== 'string')) throw new ValidationError('ivrPath', 'a list of node ids');
  const maxAttempts = input.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) throw new ValidationError('maxAttempts', 'an integer 1–100');
  if (input.windowStart && input.windowEnd && input.windowEnd <= input.windowStart) throw new ValidationError('windowEnd', 'after windowStart');
  for (const [field, id] of [['voicemailId', input.voicemailId], ['callId', input.callId]] as const) {
    if (id !== undefined && id !== null && !isUuid(id)) throw new ValidationError(field, 'a uuid');
  }
  const requestedAt = input.requestedAt ?? now;
  return {
    tenant_id: tenantId,
    line_id: input.lineId,
    queue: input.queue ?? null,
    caller_number: input.callerNumber,
    requested_at: requestedAt,
    kind: input.kind,
    due_at: input.dueAt ?? null,
    window_start: input.windowStart ?? null,
    window_end: input.windowEnd ?? null,
    max_attempts: maxAttempts,
    next_attempt_at: input.nextAttemptAt !== undefined ? input.nextAttemptAt : (input.dueAt ?? requestedAt),
    ivr_path: JSON.stringify(ivrPath),
    digits,
    voicemail_id: input.voicemailId ?? null,
    call_id: input.callId ?? null,
    position_entered_at: input.positionEnteredAt ?? null,
    updated_at: now,
  };
}

const MAX_LIMIT = 500;

export function callbacksRepository(db: Kysely<Database>, clock: Clock): CallbacksRepository {
  const get = async (tenantId: string, id: string): Promise<CallbackView> => {
    const row =
      isUuid(tenantId) && isUuid(id)
        ? await db.selectFrom('callbacks').select(COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
        : undefined;
    if (!row) throw new NotFoundError('callback', id);
    return toCallbackView(row);
  };

  /** Moves one callback from one of `from` states; NotFoundError / ConflictError when it is elsewhere. */
  const transition = async (
    tenantId: string,
    id: string,
    from: readonly CallbackState[],
    set: (row: CallbackView) => Record<string, unknown>,
  ): Promise<CallbackView> => {
    const current = await get(tenantId, id);
    if (!from.includes(current.state)) throw new ConflictError(`callback ${id} is ${current.state}, not ${from.join(' or ')}`, undefined);
    const row = await db
      .updateTable('callbacks')
      .set(set(current) as never)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!row) {
      // Someone else moved it between the read and the write.
      const now = await get(tenantId, id);
      throw new ConflictError(`callback ${id} is ${now.state}, not ${from.join(' or ')}`, undefined);
    }
    return toCallbackView(row);
  };

  return {
    async create(tenantId, input) {
      const values = callbackRow(tenantId, input, new Date(clock.wallNow()));
      try {
        // A single INSERT outside an explicit transaction commits before it returns (autocommit).
        const row = await db.insertInto('callbacks').values(values).returning(COLUMNS).executeTakeFirstOrThrow();
        return toCallbackView(row);
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) {
          const s = sqlState(err);
          if (s?.constraint?.includes('voicemail')) throw new NotFoundError('voicemail', input.voicemailId ?? '');
          if (s?.constraint?.includes('line')) throw new NotFoundError('line', input.lineId);
          throw new NotFoundError('tenant', tenantId);
        }
        throw err;
      }
    },

    get,

    async countByState(tenantId, { since, until, queue }) {
      if (!isUuid(tenantId)) return {};
      let query = db
        .selectFrom('callbacks')
        .select(['state', sql<string>`count(*)`.as('n')])
        .where('tenant_id', '=', tenantId)
        .where('requested_at', '>=', since)
        .where('requested_at', '<', until);
      if (queue !== undefined) query = query.where('queue', '=', queue);
      const rows = await query.groupBy('state').execute();
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },

    async list(tenantId, q = {}) {
      if (!isUuid(tenantId)) return [];
      const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 50)), MAX_LIMIT);
      let query = db.selectFrom('callbacks').select(COLUMNS).where('tenant_id', '=', tenantId);
      if (q.state !== undefined) {
        const states = Array.isArray(q.state) ? q.state : [q.state];
        if (states.length === 0) return [];
        query = query.where('state', 'in', states);
      }
      if (q.lineId !== undefined) {
        if (!isUuid(q.lineId)) return [];
        query = query.where('line_id', '=', q.lineId);
      }
      if (q.queue !== undefined) query = query.where('queue', '=', q.queue);
      if (q.since !== undefined) query = query.where('requested_at', '>=', q.since);
      if (q.until !== undefined) query = query.where('requested_at', '<', q.until);
      if (q.before !== undefined) query = query.where('requested_at', '<', q.before);
      const rows = await query.orderBy('requested_at', 'desc').orderBy('id').limit(limit).execute();
      return rows.map(toCallbackView);
    },

    async claimDue(now, limit, opts = {}) {
      const n = Math.min(Math.max(0, Math.floor(limit)), MAX_LIMIT);
      if (n === 0) return [];
      if (opts.tenantId !== undefined && !isUuid(opts.tenantId)) return [];
      let due = db
        .selectFrom('callbacks')
        .select('id')
        .where('state', 'in', ['pending', 'due'])
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('window_start', 'is', null), eb('window_start', '<=', now)]))
        .where((eb) => eb.or([eb('window_end', 'is', null), eb('window_end', '>', now)]));
      if (opts.tenantId !== undefined) due = due.where('tenant_id', '=', opts.tenantId);
      const rows = await db
        .updateTable('callbacks')
        .set({
          state: 'in-progress',
          attempts: sql<number>`attempts + 1`,
          last_attempt_at: now,
          claimed_by: opts.claimedBy ?? 'local',
          updated_at: now,
        })
        .where('id', 'in', due.orderBy('next_attempt_at').orderBy('requested_at').limit(n).forUpdate().skipLocked())
        // The sub-select's rows are locked; a concurrent claimer that already moved one is skipped.
        .where('state', 'in', ['pending', 'due'])
        .returning(COLUMNS)
        .execute();
      return rows
        .map(toCallbackView)
        .sort((a, b) => (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0) || a.requestedAt.getTime() - b.requestedAt.getTime());
    },

    async claim(tenantId, id, now, claimedBy = 'local') {
      if (!isUuid(tenantId) || !isUuid(id)) return undefined;
      const row = await db
        .updateTable('callbacks')
        .set({ state: 'in-progress', attempts: sql<number>`attempts + 1`, last_attempt_at: now, claimed_by: claimedBy, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('state', 'in', ['pending', 'due'])
        .returning(COLUMNS)
        .executeTakeFirst();
      return row ? toCallbackView(row) : undefined;
    },

    markDue: (tenantId, id, now) => transition(tenantId, id, ['pending', 'due'], () => ({ state: 'due', next_attempt_at: now, updated_at: now })),

    complete: (tenantId, id, { at, agentId, result }) =>
      transition(tenantId, id, ['in-progress'], () => ({
        state: 'done',
        result: result ?? 'answered',
        ...(agentId !== undefined ? { agent_id: agentId } : {}),
        claimed_by: null,
        updated_at: at,
      })),

    retry: (tenantId, id, { at, result, spacingMs, notBefore, agentId }) => {
      if (!Number.isFinite(spacingMs) || spacingMs < 0) throw new ValidationError('spacingMs', 'a non-negative number of milliseconds');
      return transition(tenantId, id, ['in-progress'], (cb) => {
        const spent = cb.attempts >= cb.maxAttempts;
        const next = Math.max(at.getTime() + spacingMs, notBefore?.getTime() ?? 0);
        return {
          state: spent ? 'failed' : 'pending',
          result,
          next_attempt_at: spent ? null : new Date(next),
          ...(agentId !== undefined ? { agent_id: agentId } : {}),
          claimed_by: null,
          updated_at: at,
        };
      });
    },

    fail: (tenantId, id, { at, result }) =>
      transition(tenantId, id, ['in-progress'], () => ({ state: 'failed', result, next_attempt_at: null, claimed_by: null, updated_at: at })),

    release: (tenantId, id, at) =>
      transition(tenantId, id, ['in-progress'], (cb) => ({
        state: 'due',
        attempts: Math.max(0, cb.attempts - 1),
        next_attempt_at: at,
        claimed_by: null,
        updated_at: at,
      })),

    cancel: (tenantId, id, by) => {
      const at = new Date(clock.wallNow());
      return transition(tenantId, id, ['pending', 'due'], () => ({ state: 'cancelled', result: `cancelled by ${by}`, next_attempt_at: null, updated_at: at }));
    },

    async releaseClaims(claimedBy, at) {
      const result = await db
        .updateTable('callbacks')
        .set({ state: 'due', next_attempt_at: at, claimed_by: null, updated_at: at })
        .where('state', '=', 'in-progress')
        .where('claimed_by', '=', claimedBy)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}
