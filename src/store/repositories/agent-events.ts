/**
 * The agent state log: every state an agent enters (offline, available, ringing, on-call,
 * wrap-up, break with its reason), appended as it happens, for statistics and for the live
 * state to be rebuilt after a restart (latest()). summaries() turns a day's log into the
 * per-agent figures the router and reports read: time in each state, break time per
 * reason, logged-in time (all but offline), plus answered calls and talk time from the
 * ACD's CDRs (queue_calls). The interval is given by the caller (a day in the tenant's
 * zone); the state an agent was in when it began counts from its start.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import { AGENT_STATES, type Database } from '../schema.ts';

export type AgentState = (typeof AGENT_STATES)[number];

export interface AgentEvent {
  agentId: string;
  at: Date;
  state: AgentState;
  reason: string | null;
}

export interface AgentDaySummary {
  agentId: string;
  /** Milliseconds in each state within the interval. */
  stateMs: Record<AgentState, number>;
  /** Break milliseconds per reason ('' for none). */
  breakMs: Record<string, number>;
  loggedInMs: number;
  /** State changes within the interval. */
  transitions: number;
  /** Calls answered within the interval (queue_calls) and their talk time. */
  answered: number;
  talkMs: number;
  /** The state at the end of the interval (or at `now`). */
  state: AgentState;
}

export interface AgentEventsRepository {
  /** NotFoundError (agent), ValidationError. */
  append(tenantId: string, event: { agentId: string; at: Date; state: AgentState; reason?: string | null }): Promise<void>;
  /** Oldest first, limit default 1000, at most 10 000. */
  list(tenantId: string, q: { agentId?: string; since?: Date; until?: Date; limit?: number }): Promise<AgentEvent[]>;
  /** The newest event of each agent that has one. */
  latest(tenantId: string): Promise<AgentEvent[]>;
  /** One summary per agent of the tenant over [since, min(until, now)). */
  summaries(tenantId: string, q: { since: Date; until: Date; now?: Date }): Promise<AgentDaySummary[]>;
}

const REASON = /^.{1,64}$/su;

const zeroStates = (): Record<AgentState, number> => ({ offline: 0, available: 0, ringing: 0, 'on-call': 0, 'wrap-up': 0, break: 0 });

const toEvent = (r: { agent_id: string; at: Date; state: AgentState; reason: string | null }): AgentEvent => ({
  agentId: r.agent_id,
  at: r.at,
  state: r.state,
  reason: r.reason,
});

export function agentEventsRepository(db: Kysely<Database>, clock: Clock): AgentEventsRepository {
  return {
    async append(tenantId, { agentId, at, state, reason }) {
      requireId('tenant', tenantId);
      requireId('agent', agentId);
      if (!AGENT_STATES.includes(state)) throw new ValidationError('state', `one of ${AGENT_STATES.join(', ')}`);
      if (reason !== undefined && reason !== null && !REASON.test(reason)) throw new ValidationError('reason', '1 to 64 characters');
      try {
        await db.insertInto('agent_events').values({ tenant_id: tenantId, agent_id: agentId, at, state, reason: reason ?? null }).execute();
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('agent', agentId);
        throw err;
      }
    },

    async list(tenantId, q) {
      if (!isUuid(tenantId) || (q.agentId !== undefined && !isUuid(q.agentId))) return [];
      const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 1000)), 10_000);
      let query = db.selectFrom('agent_events').select(['agent_id', 'at', 'state', 'reason']).where('tenant_id', '=', tenantId);
      if (q.agentId !== undefined) query = query.where('agent_id', '=', q.agentId);
      if (q.since !== undefined) query = query.where('at', '>=', q.since);
      if (q.until !== undefined) query = query.where('at', '<', q.until);
      const rows = await query.orderBy('at').orderBy('seq').limit(limit).execute();
      return rows.map(toEvent);
    },

    async latest(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await db
        .selectFrom('agent_events')
        .select(['agent_id', 'at', 'state', 'reason'])
        .distinctOn('agent_id')
        .where('tenant_id', '=', tenantId)
        .orderBy('agent_id')
        .orderBy('at', 'desc')
        .orderBy('seq', 'desc')
        .execute();
      return rows.map(toEvent);
    },

    async summaries(tenantId, { since, until, now }) {
      if (!isUuid(tenantId)) return [];
      const end = Math.min(until.getTime(), (now ?? new Date(clock.wallNow())).getTime());
      const agents = await db.selectFrom('agents').select('id').where('tenant_id', '=', tenantId).orderBy('extension').execute();
      // The state each agent was in when the interval began, then every change inside it.
      const before = await db
        .selectFrom('agent_events')
        .select(['agent_id', 'at', 'state', 'reason'])
        .distinctOn('agent_id')
        .where('tenant_id', '=', tenantId)
        .where('at', '<', since)
        .orderBy('agent_id')
        .orderBy('at', 'desc')
        .orderBy('seq', 'desc')
        .execute();
      const inside = await db
        .selectFrom('agent_events')
        .select(['agent_id', 'at', 'state', 'reason'])
        .where('tenant_id', '=', tenantId)
        .where('at', '>=', since)
        .where('at', '<', new Date(end))
        .orderBy('at')
        .orderBy('seq')
        .execute();
      const calls = await db
        .selectFrom('queue_calls')
        .select(['agent_id', sql<string>`count(*)`.as('answered'), sql<string | null>`sum(talk_ms)`.as('talk')])
        .where('tenant_id', '=', tenantId)
        .where('answered_at', '>=', since)
        .where('answered_at', '<', new Date(end))
        .where('agent_id', 'is not', null)
        .groupBy('agent_id')
        .execute();

      const byAgent = new Map<string, { state: AgentState; reason: string | null; from: number; sum: AgentDaySummary }>();
      for (const { id } of agents) {
        byAgent.set(id, {
          state: 'offline',
          reason: null,
          from: since.getTime(),
          sum: { agentId: id, stateMs: zeroStates(), breakMs: {}, loggedInMs: 0, transitions: 0, answered: 0, talkMs: 0, state: 'offline' },
        });
      }
      const close = (a: { state: AgentState; reason: string | null; from: number; sum: AgentDaySummary }, t: number): void => {
        const ms = Math.max(0, t - a.from);
        a.sum.stateMs[a.state] += ms;
        if (a.state !== 'offline') a.sum.loggedInMs += ms;
        if (a.state === 'break') a.sum.breakMs[a.reason ?? ''] = (a.sum.breakMs[a.reason ?? ''] ?? 0) + ms;
      };
      for (const e of before) {
        const a = byAgent.get(e.agent_id);
        if (a) Object.assign(a, { state: e.state, reason: e.reason });
      }
      for (const e of inside) {
        const a = byAgent.get(e.agent_id);
        if (!a) continue;
        close(a, e.at.getTime());
        Object.assign(a, { state: e.state, reason: e.reason, from: e.at.getTime() });
        a.sum.transitions += 1;
      }
      for (const a of byAgent.values()) {
        close(a, end);
        a.sum.state = a.state;
      }
      for (const c of calls) {
        const a = c.agent_id === null ? undefined : byAgent.get(c.agent_id);
        if (a) {
          a.sum.answered = Number(c.answered);
          a.sum.talkMs = Number(c.talk ?? 0);
        }
      }
      return [...byAgent.values()].map((a) => a.sum);
    },
  };
}
