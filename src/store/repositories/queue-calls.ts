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
import { DAY_MS, MINUTE_MS, instantOfWall, isValidTimeZone, offsetMs } from '../../schedules/zone.ts';
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
   * the local ones of `timeZone` (the wall-clock slots the forecast and the review place them
   * in), each `start` the instant its wall-clock time first occurs (zone.ts instantOfWall): the
   * repeated hour of a clock turned back is one interval, the one after a jump forward starts
   * at the jump. Intervals without visits are left out. ValidationError: an unknown zone, an
   * interval that is not whole minutes dividing a day.
   */
  intervals(tenantId: string, q: { since: Date; until: Date; intervalMinutes: number; timeZone: string; queue?: string }): Promise<{ start: number; calls: number; ahtSeconds?: number }[]>;
  /** Per interval as `intervals`: offered, answered, answered within `targetMs` of waiting, abandoned (the post-event review). */
  outcomes(tenantId: string, q: { since: Date; until: Date; intervalMinutes: number; timeZone: string; targetMs: number; queue?: string }): Promise<{ start: number; offered: number; answered: number; within: number; abandoned: number }[]>;
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

interface BucketQuery {
  since: Date;
  until: Date;
  intervalMinutes: number;
  timeZone: string;
  targetMs: number;
  queue?: string | undefined;
}

/** A piece of time starting at `at` (epoch ms): its visits' counts and handle-time sum (over `handled` visits). */
interface Piece {
  at: number;
  offered: number;
  answered: number;
  within: number;
  abandoned: number;
  handleSumMs: number;
  handled: number;
}

const SUMMED = ['offered', 'answered', 'within', 'abandoned', 'handleSumMs', 'handled'] as const;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function queueCallsRepository(db: Kysely<Database>, _clock: Clock): QueueCallsRepository {
  /**
   * Visits per `grainMs` piece of UTC (aligned to the epoch; entered in [since, until), one queue
   * or all, and in one of `only`'s [from, to) ranges if given), with their outcomes and the sum of
   * the handle times with the number of visits it is over, so that pieces merge into an interval
   * with the mean over its visits rather than a mean of the pieces' means.
   */
  const pieces = async (tenantId: string, q: BucketQuery, grainMs: number, only?: readonly (readonly [number, number])[]): Promise<Piece[]> => {
    const grain = grainMs / 1000;
    const handled = sql`answered_at IS NOT NULL AND talk_ms IS NOT NULL`;
    let query = db
      .selectFrom('queue_calls')
      .select([
        sql<string>`floor(extract(epoch from entered_at) / ${grain})`.as('bucket'),
        sql<string>`count(*)`.as('offered'),
        sql<string>`count(*) FILTER (WHERE answered_at IS NOT NULL)`.as('answered'),
        sql<string>`count(*) FILTER (WHERE answered_at IS NOT NULL AND wait_ms <= ${q.targetMs})`.as('within'),
        sql<string>`count(*) FILTER (WHERE outcome = 'abandoned')`.as('abandoned'),
        sql<string | null>`sum(coalesce(talk_ms, 0) + coalesce(wrap_ms, 0)) FILTER (WHERE ${handled})`.as('handle_sum'),
        sql<string>`count(*) FILTER (WHERE ${handled})`.as('handled'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('entered_at', '>=', q.since)
      .where('entered_at', '<', q.until);
    if (q.queue !== undefined) query = query.where('queue', '=', q.queue);
    if (only !== undefined) query = query.where((eb) => eb.or(only.map(([from, to]) => eb.and([eb('entered_at', '>=', new Date(from)), eb('entered_at', '<', new Date(to))]))));
    const rows = await query.groupBy('bucket').orderBy('bucket').execute();
    return rows.map((r) => ({
      at: Number(r.bucket) * grainMs,
      offered: Number(r.offered),
      answered: Number(r.answered),
      within: Number(r.within),
      abandoned: Number(r.abandoned),
      handleSumMs: Number(r.handle_sum ?? 0),
      handled: Number(r.handled),
    }));
  };

  /**
   * Visits per local interval of `timeZone`. The database groups by pieces of UTC that nest in
   * local intervals, and the zone arithmetic is done here with Intl (schedules/zone.ts), the one
   * the forecast and the review place the intervals with, so the two never disagree over a
   * zone's rules (the database's own tz data may be of another tzdb release). Every offset in use today
   * is a multiple of 15 minutes, so quarter hours of UTC (or the interval, if finer) nest; a
   * piece that does not (an offset or a change of offset off the quarter hour: St. John's
   * changed at 00:01 until 2011, Monrovia kept −0:44:30 until 1972) is read again by the second,
   * which always nests because tzdb offsets and changes are whole seconds. So no zone is refused
   * and none is approximated; the finer reads cost only where they are needed.
   */
  const buckets = async (tenantId: string, q: BucketQuery): Promise<(Omit<Piece, 'at' | 'handleSumMs' | 'handled'> & { start: number; handleMs: number | null })[]> => {
    const { intervalMinutes, timeZone } = q;
    if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1 || DAY_MS % (intervalMinutes * MINUTE_MS) !== 0) throw new ValidationError('intervalMinutes', 'whole minutes that divide a day');
    if (!isValidTimeZone(timeZone)) throw new ValidationError('timeZone', 'an IANA time zone');
    if (!isUuid(tenantId)) return [];
    const intervalMs = intervalMinutes * MINUTE_MS;
    /** Sums per local interval, by its number (local wall-clock time / interval). */
    const slots = new Map<number, Piece>();
    /** Adds a piece to the local interval it lies in; false (and nothing added) if it straddles two. */
    const add = (p: Piece, grainMs: number): boolean => {
      const offset = offsetMs(timeZone, p.at);
      if (offsetMs(timeZone, p.at + grainMs - 1) !== offset) return false;
      const slot = Math.floor((p.at + offset) / intervalMs);
      if (Math.floor((p.at + offset + grainMs - 1) / intervalMs) !== slot) return false;
      const s = slots.get(slot);
      if (s === undefined) slots.set(slot, { ...p });
      else for (const k of SUMMED) s[k] += p[k];
      return true;
    };
    const grainMs = gcd(intervalMinutes, 15) * MINUTE_MS;
    const straddling: [number, number][] = [];
    for (const p of await pieces(tenantId, q, grainMs)) {
      if (add(p, grainMs)) continue;
      const last = straddling.at(-1);
      if (last !== undefined && last[1] === p.at) last[1] += grainMs;
      else straddling.push([p.at, p.at + grainMs]);
    }
    // In chunks, to keep the statement's parameters few whatever the period.
    for (let i = 0; i < straddling.length; i += 500) {
      for (const p of await pieces(tenantId, q, 1000, straddling.slice(i, i + 500))) {
        if (!add(p, 1000)) throw new Error(`queue calls: the second from ${new Date(p.at).toISOString()} straddles two local intervals of ${timeZone}`);
      }
    }
    return [...slots]
      .map(([slot, s]) => ({
        start: instantOfWall(timeZone, slot * intervalMs),
        offered: s.offered,
        answered: s.answered,
        within: s.within,
        abandoned: s.abandoned,
        handleMs: s.handled > 0 ? Math.round(s.handleSumMs / s.handled) : null,
      }))
      .sort((a, b) => a.start - b.start);
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
