/**
 * Call records: one row per call, written when it is answered (start), while it runs
 * (progress: the journey so far, so a crash loses at most one interval) and when it ends.
 * A call is found by our id or by the SIP Call-ID of any of its legs (RFC 3261 §8.1.1.4:
 * the Call-ID is what a SIP trace or a carrier's ticket names), through a GIN index on
 * the legs array. Scoped by tenant like everything else.
 *
 * write() is the same three writes for many calls at once (the IVR's record writer batches
 * them): one INSERT … ON CONFLICT and one UPDATE … FROM per batch, in one statement (so one
 * transaction, without BEGIN/COMMIT round trips), the rows handed over as a single jsonb
 * array (jsonb_to_recordset) so a batch is one parameter whatever its size. On the embedded store every statement runs on the process's own thread,
 * so a few statements per batch instead of one per call is what lets calls through.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import type { JourneyEntry } from '../../flows/interpreter.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Database } from '../schema.ts';

export interface CallLeg {
  role: 'caller' | 'agent' | 'transfer';
  sipCallId: string;
  to?: string;
}

export interface CallRecord {
  id: string;
  tenantId: string;
  lineId: string | null;
  caller: string;
  dialled: string;
  legs: CallLeg[];
  flowId: string | null;
  flowVersion: number | null;
  startedAt: Date;
  endedAt: Date | null;
  outcome: string | null;
  target: unknown;
  journey: JourneyEntry[];
  variables: Record<string, string>;
}

/**
 * One call's writes as the record writer merged them: `start` when the row is new (an end
 * that came before the start was written rides along in the same insert), then whatever
 * is newest of journey / variables / legs, and `end` once the call ended.
 */
export interface CallWrite {
  id: string;
  tenantId: string;
  start?: { lineId: string | null; caller: string; dialled: string; legs: CallLeg[]; flowId: string | null; flowVersion: number | null; startedAt: Date };
  journey?: JourneyEntry[];
  variables?: Record<string, string>;
  legs?: CallLeg[];
  end?: { endedAt: Date; outcome: string; target?: unknown };
}

export interface CallsRepository {
  start(rec: {
    id: string;
    tenantId: string;
    lineId: string | null;
    caller: string;
    dialled: string;
    legs: CallLeg[];
    flowId: string | null;
    flowVersion: number | null;
    startedAt: Date;
  }): Promise<void>;
  /** Writes journey/variables so far (called at the end, and on a timer while long calls run). NotFoundError. */
  progress(tenantId: string, id: string, update: { journey: JourneyEntry[]; variables: Record<string, string>; legs?: CallLeg[] }): Promise<void>;
  /** NotFoundError. */
  end(
    tenantId: string,
    id: string,
    end: { endedAt: Date; outcome: string; target?: unknown; journey: JourneyEntry[]; variables: Record<string, string>; legs?: CallLeg[] },
  ): Promise<void>;
  /**
   * Many calls' writes in one transaction: the new rows inserted (an id already stored for
   * the same tenant is overwritten, so a batch retried after an unknown outcome does no
   * harm), then the updates. At most one write per id. All or nothing: a foreign key that
   * no longer holds (tenant, line or flow deleted) fails the whole batch (SQLSTATE 23503).
   * Returns the ids that changed nothing: updates of calls this tenant does not have,
   * inserts whose id another tenant holds, ids that are not uuids.
   */
  write(writes: readonly CallWrite[]): Promise<{ unwritten: string[] }>;
  /** id = our id or any leg's SIP Call-ID. NotFoundError. */
  get(tenantId: string, id: string): Promise<CallRecord>;
  /**
   * Newest first (start time, then id). limit default 50, at most 500. The cursor is the last
   * call of the previous page: `before` its startedAt and `beforeId` its id — with the id, calls
   * that share a start time across a page boundary are neither skipped nor repeated.
   */
  list(
    tenantId: string,
    q: { lineId?: string; since?: Date; until?: Date; active?: boolean; limit?: number; before?: Date; beforeId?: string },
  ): Promise<CallRecord[]>;
  /** When the line's calls started in [since, until): epoch ms, ascending (a simulator replay's arrivals). */
  startTimes(tenantId: string, q: { lineId: string; since: Date; until: Date }): Promise<number[]>;
  /**
   * The journeys of the line's ended calls in [since, until), oldest first, at most `limit`, each
   * with the name of the flow it started in (calls that ran no flow are left out).
   */
  journeys(tenantId: string, q: { lineId: string; since: Date; until: Date; limit: number }): Promise<{ flow: string; journey: JourneyEntry[] }[]>;
}

function toRecord(r: {
  id: string;
  tenant_id: string;
  line_id: string | null;
  caller: string;
  dialled: string;
  legs: unknown;
  flow_id: string | null;
  flow_version: number | null;
  started_at: Date;
  ended_at: Date | null;
  outcome: string | null;
  target: unknown;
  journey: unknown;
  variables: unknown;
}): CallRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    lineId: r.line_id,
    caller: r.caller,
    dialled: r.dialled,
    legs: r.legs as CallLeg[],
    flowId: r.flow_id,
    flowVersion: r.flow_version,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    outcome: r.outcome,
    target: r.target,
    journey: r.journey as JourneyEntry[],
    variables: r.variables as Record<string, string>,
  };
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** A row of the batch as jsonb_to_recordset reads it (see RECORD_COLUMNS); absent keys are NULL. */
function batchRow(w: CallWrite): Record<string, unknown> {
  return {
    id: w.id,
    tenant_id: w.tenantId,
    is_start: w.start !== undefined,
    ...(w.start
      ? {
          line_id: w.start.lineId,
          caller: w.start.caller,
          dialled: w.start.dialled,
          flow_id: w.start.flowId,
          flow_version: w.start.flowVersion,
          started_at: w.start.startedAt.toISOString(),
        }
      : {}),
    // jsonb values travel as text inside the array, so a JSON null stays a value, not SQL NULL.
    legs: json(w.legs ?? w.start?.legs),
    journey: json(w.journey),
    variables: json(w.variables),
    ...(w.end ? { is_end: true, ended_at: w.end.endedAt.toISOString(), outcome: w.end.outcome, target: json(w.end.target) } : { is_end: false }),
  };
}

const RECORD_COLUMNS = sql.raw(
  `r(id uuid, tenant_id uuid, is_start boolean, line_id uuid, caller text, dialled text, flow_id uuid, flow_version integer,
     started_at timestamptz, legs text, journey text, variables text, is_end boolean, ended_at timestamptz, outcome text, target text)`,
);

export function callsRepository(db: Kysely<Database>, _clock: Clock): CallsRepository {
  const update = async (tenantId: string, id: string, set: Record<string, string | Date | null>): Promise<void> => {
    const result =
      isUuid(tenantId) && isUuid(id)
        ? await db.updateTable('calls').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
        : undefined;
    if (!result || result.numUpdatedRows === 0n) throw new NotFoundError('call', id);
  };

  return {
    async start(rec) {
      if (!isUuid(rec.id)) throw new ValidationError('id', 'a call id is a uuid');
      if (!isUuid(rec.tenantId)) throw new NotFoundError('tenant', rec.tenantId);
      try {
        await db
          .insertInto('calls')
          .values({
            id: rec.id,
            tenant_id: rec.tenantId,
            line_id: rec.lineId,
            caller: rec.caller,
            dialled: rec.dialled,
            legs: JSON.stringify(rec.legs),
            flow_id: rec.flowId,
            flow_version: rec.flowVersion,
            started_at: rec.startedAt,
            journey: '[]',
            variables: '{}',
          })
          .execute();
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant, line or flow', rec.tenantId);
        throw mapConflict(err, `call ${rec.id}`);
      }
    },

    async progress(tenantId, id, { journey, variables, legs }) {
      await update(tenantId, id, {
        journey: JSON.stringify(journey),
        variables: JSON.stringify(variables),
        ...(legs !== undefined ? { legs: JSON.stringify(legs) } : {}),
      });
    },

    async end(tenantId, id, { endedAt, outcome, target, journey, variables, legs }) {
      await update(tenantId, id, {
        ended_at: endedAt,
        outcome,
        target: target === undefined ? null : JSON.stringify(target),
        journey: JSON.stringify(journey),
        variables: JSON.stringify(variables),
        ...(legs !== undefined ? { legs: JSON.stringify(legs) } : {}),
      });
    },

    async write(writes) {
      const unwritten: string[] = [];
      const seen = new Set<string>();
      const rows: Record<string, unknown>[] = [];
      for (const w of writes) {
        if (seen.has(w.id)) throw new ValidationError('id', `call ${w.id} twice in one batch`);
        seen.add(w.id);
        if (!isUuid(w.id) || !isUuid(w.tenantId)) unwritten.push(w.id);
        else rows.push(batchRow(w));
      }
      if (rows.length === 0) return { unwritten };
      // One statement (so one transaction, all or nothing): the inserts and the updates as two
      // data-modifying CTEs over the same rows. They touch different calls (one write per id),
      // so neither needs to see the other's effect.
      const { rows: done } = await sql<{ id: string }>`
        WITH r AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS ${RECORD_COLUMNS}),
        ins AS (
          INSERT INTO calls (id, tenant_id, line_id, caller, dialled, legs, flow_id, flow_version, started_at,
                             ended_at, outcome, target, journey, variables)
          SELECT r.id, r.tenant_id, r.line_id, r.caller, r.dialled, coalesce(r.legs::jsonb, '[]'), r.flow_id, r.flow_version,
                 r.started_at, r.ended_at, r.outcome, r.target::jsonb, coalesce(r.journey::jsonb, '[]'), coalesce(r.variables::jsonb, '{}')
          FROM r WHERE r.is_start
          ON CONFLICT (id) DO UPDATE SET
            line_id = excluded.line_id, caller = excluded.caller, dialled = excluded.dialled, legs = excluded.legs,
            flow_id = excluded.flow_id, flow_version = excluded.flow_version, started_at = excluded.started_at,
            ended_at = excluded.ended_at, outcome = excluded.outcome, target = excluded.target,
            journey = excluded.journey, variables = excluded.variables
          WHERE calls.tenant_id = excluded.tenant_id
          RETURNING calls.id
        ),
        upd AS (
          UPDATE calls AS c SET
            legs = coalesce(r.legs::jsonb, c.legs),
            journey = coalesce(r.journey::jsonb, c.journey),
            variables = coalesce(r.variables::jsonb, c.variables),
            ended_at = CASE WHEN r.is_end THEN r.ended_at ELSE c.ended_at END,
            outcome = CASE WHEN r.is_end THEN r.outcome ELSE c.outcome END,
            target = CASE WHEN r.is_end THEN r.target::jsonb ELSE c.target END
          FROM r
          WHERE NOT r.is_start AND c.id = r.id AND c.tenant_id = r.tenant_id
          RETURNING c.id
        )
        SELECT id FROM ins UNION ALL SELECT id FROM upd`.execute(db);
      const written = new Set(done.map((r) => r.id));
      for (const r of rows) if (!written.has(r['id'] as string)) unwritten.push(r['id'] as string);
      return { unwritten };
    },

    async get(tenantId, id) {
      if (!isUuid(tenantId) || id === '') throw new NotFoundError('call', id);
      // A SIP Call-ID may itself look like a uuid: our id first, then any leg's Call-ID.
      const byLeg = sql<boolean>`legs @> ${JSON.stringify([{ sipCallId: id }])}::jsonb`;
      const row = await db
        .selectFrom('calls')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where((eb) => (isUuid(id) ? eb.or([eb('id', '=', id), byLeg]) : byLeg))
        .$if(isUuid(id), (q) => q.orderBy(sql`id = ${id}`, 'desc'))
        .orderBy('started_at', 'desc')
        .executeTakeFirst();
      if (!row) throw new NotFoundError('call', id);
      return toRecord(row);
    },

    async list(tenantId, { lineId, since, until, active, limit, before, beforeId }) {
      if (!isUuid(tenantId)) return [];
      if (lineId !== undefined && !isUuid(lineId)) return [];
      const n = Math.min(Math.max(1, Math.floor(limit ?? 50)), 500);
      let q = db.selectFrom('calls').selectAll().where('tenant_id', '=', tenantId);
      if (lineId !== undefined) q = q.where('line_id', '=', lineId);
      if (since !== undefined) q = q.where('started_at', '>=', since);
      if (until !== undefined) q = q.where('started_at', '<', until);
      if (before !== undefined && beforeId !== undefined && isUuid(beforeId)) {
        q = q.where(sql<boolean>`(started_at, id) < (${before}, CAST(${beforeId} AS uuid))`);
      } else if (before !== undefined) q = q.where('started_at', '<', before);
      if (active === true) q = q.where('ended_at', 'is', null);
      if (active === false) q = q.where('ended_at', 'is not', null);
      const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(n).execute();
      return rows.map(toRecord);
    },

    async startTimes(tenantId, { lineId, since, until }) {
      if (!isUuid(tenantId) || !isUuid(lineId)) return [];
      const rows = await db
        .selectFrom('calls')
        .select('started_at')
        .where('tenant_id', '=', tenantId)
        .where('line_id', '=', lineId)
        .where('started_at', '>=', since)
        .where('started_at', '<', until)
        .orderBy('started_at')
        .execute();
      return rows.map((r) => r.started_at.getTime());
    },

    async journeys(tenantId, { lineId, since, until, limit }) {
      if (!isUuid(tenantId) || !isUuid(lineId)) return [];
      const rows = await db
        .selectFrom('calls')
        .innerJoin('flows', 'flows.id', 'calls.flow_id')
        .select(['flows.name as flow', 'calls.journey'])
        .where('calls.tenant_id', '=', tenantId)
        .where('calls.line_id', '=', lineId)
        .where('calls.started_at', '>=', since)
        .where('calls.started_at', '<', until)
        .where('calls.ended_at', 'is not', null)
        .orderBy('calls.started_at')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ flow: r.flow, journey: r.journey as JourneyEntry[] }));
    },
  };
}
