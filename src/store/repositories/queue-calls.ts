/**
 * Call detail records of the ACD: one row per visit of a call to a queue (an overflow to
 * another queue ends one visit with outcome 'overflow' and starts the next). start → offered
 * (each ring of an agent) → answer (wait = answer − entry) → end (talk = end − answer; an
 * unanswered visit's wait = end − entry) → wrapUp (the agent's after-call work and its
 * code). Each step is one UPDATE computing the durations in the database, so the queue
 * runtime can write them without reading first. summary() gives per-queue figures for an
 * interval (offered, answered, abandoned, answered within a target, average wait/talk/wrap).
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import { QUEUE_OUTCOMES, type Database } from '../schema.ts';

export type QueueOutcome = (typeof QUEUE_OUTCOMES)[number];

export interface QueueCallView {
  id: string;
  tenantId: string;
  callId: string;
  queue: string;
  enteredAt: Date;
  offeredCount: number;
  answeredAt: Date | null;
  agentId: string | null;
  endedAt: Date | null;
  outcome: QueueOutcome | null;
  waitMs: number | null;
  talkMs: number | null;
  wrapMs: number | null;
  wrapCode: string | null;
  /** The estimated wait spoken at entry (ms), if one was. */
  announcedEwtMs: number | null;
}

export interface QueueSummary {
  queue: string;
  /** Visits that entered in the interval. */
  offered: number;
  answered: number;
  abandoned: number;
  callbacks: number;
  voicemails: number;
  overflowed: number;
  targeted: number;
  /** Answered with wait ≤ serviceLevelMs. */
  answeredWithinTarget: number;
  avgWaitMs: number | null;
  avgTalkMs: number | null;
  avgWrapMs: number | null;
  longestWaitMs: number | null;
  /** Answered visits whose caller was told an estimated wait, and the mean |told − waited| over them. */
  ewtAnswered: number;
  ewtMeanAbsErrorMs: number | null;
}

export interface QueueCallsRepository {
  /** A new visit; `id` may be given (the runtime's own), else generated. Returns the id. ConflictError for a taken id. */
  start(tenantId: string, visit: { id?: string; callId: string; queue: string; enteredAt: Date }): Promise<string>;
  /** One more agent rung for this visit. NotFoundError. */
  offered(tenantId: string, id: string): Promise<void>;
  /** NotFoundError (visit, agent). */
  answer(tenantId: string, id: string, a: { at: Date; agentId: string }): Promise<void>;
  /** NotFoundError, ValidationError (outcome). */
  end(tenantId: string, id: string, e: { at: Date; outcome: QueueOutcome }): Promise<void>;
  /** The estimated wait spoken at entry; only the first one counts. NotFoundError, ValidationError. */
  announced(tenantId: string, id: string, ewtMs: number): Promise<void>;
  /** NotFoundError. */
  wrapUp(tenantId: string, id: string, w: { wrapMs: number; wrapCode?: string | null }): Promise<void>;
  /** The agent's wrap-up code for the call, at any time after it (the wrap-up time is the runtime's). NotFoundError, ValidationError. */
  setWrapCode(tenantId: string, id: string, wrapCode: string): Promise<QueueCallView>;
  /** NotFoundError. */
  get(tenantId: string, id: string): Promise<QueueCallView>;
  /** Newest entry first; limit default 50, at most 1000; `before` is the cursor (enteredAt). */
  list(tenantId: string, q?: { queue?: string; callId?: string; agentId?: string; since?: Date; until?: Date; before?: Date; limit?: number }): Promise<QueueCallView[]>;
  /** Per queue over visits that entered in [since, until). serviceLevelMs default 30 000 (the seeds' 30 s). */
  summary(tenantId: string, q: { since: Date; until: Date; serviceLevelMs?: number }): Promise<QueueSummary[]>;
  /**
   * Visits per interval (entered in [since, until), one queue or all) with the mean handle time
   * (talk + wrap-up) of the answered ones: the history the forecast learns from. Intervals are
   * aligned to the epoch (so to local time in zones whose offset is a multiple of the interval);
   * intervals without visits are left out.
   */
  intervals(tenantId: string, q: { since: Date; until: Date; intervalMinutes: number; queue?: string }): Promise<{ start: number; calls: number; ahtSeconds?: number }[]>;
  /** Per interval as `intervals`: offered, answered, answered within `targetMs` of waiting, abandoned (the post-event review). */
  outcomes(tenantId: string, q: { since: Date; until: Date; intervalMinutes: number; targetMs: number; queue?: string }): Promise<{ start: number; offered: number; answered: number; within: number; abandoned: number }[]>;
}

const COLUMNS = [
  'id',
  'tenant_id',
  'call_id',
  'queue',
  'entered_at',
  'offered_count',
  'answered_at',
  'agent_id',
  'ended_at',
  'outcome',
  'wait_ms',
  'talk_ms',
  'wrap_ms',
  'wrap_code',
  'announced_ewt_ms',
] as const;

const toView = (r: {
  id: string;
  tenant_id: string;
  call_id: string;
  queue: string;
  entered_at: Date;
  offered_count: number;
  answered_at: Date | null;
  agent_id: string | null;
  ended_at: Date | null;
  outcome: QueueOutcome | null;
  wait_ms: number | null;
  talk_ms: number | null;
  wrap_ms: number | null;
  wrap_code: string | null;
  announced_ewt_ms: number | null;
}): QueueCallView => ({
  id: r.id,
  tenantId: r.tenant_id,
  callId: r.call_id,
  queue: r.queue,
  enteredAt: r.entered_at,
  offeredCount: r.offered_count,
  answeredAt: r.answered_at,
  agentId: r.agent_id,
  endedAt: r.ended_at,
  outcome: r.outcome,
  waitMs: r.wait_ms,
  talkMs: r.talk_ms,
  wrapMs: r.wrap_ms,
  wrapCode: r.wrap_code,
  announcedEwtMs: r.announced_ewt_ms,
});

/** Milliseconds from a column to a given instant, never negative. */
const msSince = (column: string, at: Date) => sql<number>`greatest(0, round(extract(epoch from (${at}::timestamptz - ${sql.ref(column)})) * 1000))::int`;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));

export function queueCallsRepository(db: Kysely<Database>, _clock: Clock): QueueCallsRepository {
  /** Visits per epoch-aligned interval (entered in [since, until), one queue or all), with their outcomes. */
  const buckets = async (tenantId: string, { since, until, intervalMinutes, targetMs, queue }: { since: Date; until: Date; intervalMinutes: number; targetMs: number; queue?: string }) => {
    if (!isUuid(tenantId)) return [];
    const step = intervalMinutes * 60;
    let q = db
      .selectFrom('queue_calls')
      .select([
        sql<string>`floor(extract(epoch from entered_at) / ${step})`.as('bucket'),
        sql<string>`count(*)`.as('offered'),
        sql<string>`count(*) FILTER (WHERE answered_at IS NOT NULL)`.as('answered'),
        sql<string>`count(*) FILTER (WHERE answered_at IS NOT NULL AND wait_ms <= ${targetMs})`.as('within'),
        sql<string>`count(*) FILTER (WHERE outcome = 'abandoned')`.as('abandoned'),
        sql<string | null>`avg(coalesce(talk_ms, 0) + coalesce(wrap_ms, 0)) FILTER (WHERE answered_at IS NOT NULL AND talk_ms IS NOT NULL)`.as('handle'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('entered_at', '>=', since)
      .where('entered_at', '<', until);
    if (queue !== undefined) q = q.where('queue', '=', queue);
    const rows = await q.groupBy('bucket').orderBy('bucket').execute();
    return rows.map((r) => ({
      start: Number(r.bucket) * step * 1000,
      offered: Number(r.offered),
      answered: Number(r.answered),
      within: Number(r.within),
      abandoned: Number(r.abandoned),
      handleMs: num(r.handle),
    }));
  };
  const update = async (tenantId: string, id: string, set: Record<string, unknown>): Promise<void> => {
    if (!isUuid(tenantId) || !isUuid(id)) throw new NotFoundError('queue call', id);
    const r = await db
      .updateTable('queue_calls')
      .set(set as never)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw new NotFoundError('queue call', id);
  };

  return {
    async start(tenantId, { id, callId, queue, enteredAt }) {
      requireId('tenant', tenantId);
      if (id !== undefined && !isUuid(id)) throw new ValidationError('id', 'a uuid');
      if (!isUuid(callId)) throw new ValidationError('callId', 'a uuid');
      if (queue.length === 0 || queue.length > 63) throw new ValidationError('queue', 'a queue name');
      try {
        const row = await db
          .insertInto('queue_calls')
          .values({ ...(id !== undefined ? { id } : {}), tenant_id: tenantId, call_id: callId, queue, entered_at: enteredAt })
          .returning('id')
          .executeTakeFirstOrThrow();
        return row.id;
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
        throw mapConflict(err, `queue call ${id ?? ''}`);
      }
    },

    offered: (tenantId, id) => update(tenantId, id, { offered_count: sql`offered_count + 1` }),

    async answer(tenantId, id, { at, agentId }) {
      requireId('agent', agentId);
      try {
        await update(tenantId, id, { answered_at: at, agent_id: agentId, wait_ms: msSince('entered_at', at) });
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('agent', agentId);
        throw err;
      }
    },

    async end(tenantId, id, { at, outcome }) {
      if (!QUEUE_OUTCOMES.includes(outcome)) throw new ValidationError('outcome', `one of ${QUEUE_OUTCOMES.join(', ')}`);
      await update(tenantId, id, {
        ended_at: at,
        outcome,
        wait_ms: sql`coalesce(wait_ms, ${msSince('entered_at', at)})`,
        talk_ms: sql`CASE WHEN answered_at IS NULL THEN NULL ELSE ${msSince('answered_at', at)} END`,
      });
    },

    async announced(tenantId, id, ewtMs) {
      if (!Number.isFinite(ewtMs) || ewtMs < 0) throw new ValidationError('ewtMs', 'a non-negative number of milliseconds');
      await update(tenantId, id, { announced_ewt_ms: sql`coalesce(announced_ewt_ms, ${Math.round(ewtMs)})` });
    },

    async wrapUp(tenantId, id, { wrapMs, wrapCode }) {
      if (!Number.isInteger(wrapMs) || wrapMs < 0) throw new ValidationError('wrapMs', 'a non-negative integer');
      if (wrapCode !== undefined && wrapCode !== null && (wrapCode.length === 0 || wrapCode.length > 64)) throw new ValidationError('wrapCode', '1 to 64 characters');
      await update(tenantId, id, { wrap_ms: wrapMs, ...(wrapCode !== undefined ? { wrap_code: wrapCode } : {}) });
    },

    async setWrapCode(tenantId, id, wrapCode) {
      if (wrapCode.length === 0 || wrapCode.length > 64) throw new ValidationError('wrapCode', '1 to 64 characters');
      await update(tenantId, id, { wrap_code: wrapCode });
      return toView(await db.selectFrom('queue_calls').select(COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow());
    },

    async get(tenantId, id) {
      const row =
        isUuid(tenantId) && isUuid(id)
          ? await db.selectFrom('queue_calls').select(COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
          : undefined;
      if (!row) throw new NotFoundError('queue call', id);
      return toView(row);
    },

    async list(tenantId, q = {}) {
      if (!isUuid(tenantId)) return [];
      if ((q.callId !== undefined && !isUuid(q.callId)) || (q.agentId !== undefined && !isUuid(q.agentId))) return [];
      const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 50)), 1000);
      let query = db.selectFrom('queue_calls').select(COLUMNS).where('tenant_id', '=', tenantId);
      if (q.queue !== undefined) query = query.where('queue', '=', q.queue);
      if (q.callId !== undefined) query = query.where('call_id', '=', q.callId);
      if (q.agentId !== undefined) query = query.where('agent_id', '=', q.agentId);
      if (q.since !== undefined) query = query.where('entered_at', '>=', q.since);
      if (q.until !== undefined) query = query.where('entered_at', '<', q.until);
      if (q.before !== undefined) query = query.where('entered_at', '<', q.before);
      const rows = await query.orderBy('entered_at', 'desc').orderBy('id').limit(limit).execute();
      return rows.map(toView);
    },

    async summary(tenantId, { since, until, serviceLevelMs = 30_000 }) {
      if (!isUuid(tenantId)) return [];
      const count = (outcome: QueueOutcome) => sql<string>`count(*) FILTER (WHERE outcome = ${outcome})`;
      const rows = await db
        .selectFrom('queue_calls')
        .select([
          'queue',
          sql<string>`count(*)`.as('offered'),
          count('answered').as('answered'),
          count('abandoned').as('abandoned'),
          count('callback').as('callbacks'),
          count('voicemail').as('voicemails'),
          count('overflow').as('overflowed'),
          count('target').as('targeted'),
          sql<string>`count(*) FILTER (WHERE answered_at IS NOT NULL AND wait_ms <= ${serviceLevelMs})`.as('within'),
          sql<string | null>`avg(wait_ms) FILTER (WHERE answered_at IS NOT NULL)`.as('avg_wait'),
          sql<string | null>`avg(talk_ms)`.as('avg_talk'),
          sql<string | null>`avg(wrap_ms)`.as('avg_wrap'),
          sql<number | null>`max(wait_ms)`.as('longest'),
          sql<string>`count(*) FILTER (WHERE answered_at IS NOT NULL AND announced_ewt_ms IS NOT NULL)`.as('ewt_n'),
          sql<string | null>`avg(abs(announced_ewt_ms - wait_ms)) FILTER (WHERE answered_at IS NOT NULL AND announced_ewt_ms IS NOT NULL)`.as('ewt_mae'),
        ])
        .where('tenant_id', '=', tenantId)
        .where('entered_at', '>=', since)
        .where('entered_at', '<', until)
        .groupBy('queue')
        .orderBy('queue')
        .execute();
      return rows.map((r) => ({
        queue: r.queue,
        offered: Number(r.offered),
        answered: Number(r.answered),
        abandoned: Number(r.abandoned),
        callbacks: Number(r.callbacks),
        voicemails: Number(r.voicemails),
        overflowed: Number(r.overflowed),
        targeted: Number(r.targeted),
        answeredWithinTarget: Number(r.within),
        avgWaitMs: num(r.avg_wait),
        avgTalkMs: num(r.avg_talk),
        avgWrapMs: num(r.avg_wrap),
        longestWaitMs: num(r.longest),
        ewtAnswered: Number(r.ewt_n),
        ewtMeanAbsErrorMs: num(r.ewt_mae),
      }));
    },

    async outcomes(tenantId, q) {
      return (await buckets(tenantId, q)).map((r) => ({ start: r.start, offered: r.offered, answered: r.answered, within: r.within, abandoned: r.abandoned }));
    },

    async intervals(tenantId, q) {
      return (await buckets(tenantId, { ...q, targetMs: 0 })).map((r) => ({ start: r.start, calls: r.offered, ...(r.handleMs !== null ? { ahtSeconds: r.handleMs / 1000 } : {}) }));
    },
  };
}
