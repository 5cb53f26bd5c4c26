/**
 * Lines and their numbers. Every function takes the tenant id and every query filters on
 * it: a line or number of another tenant is indistinguishable from one that does not
 * exist. The exceptions are routeDialled and lineForCall: an inbound INVITE names only the
 * dialled number, so the number itself (unique across tenants) is what attributes a call.
 * Changes are audited (subject line:<id>); `by` defaults to 'system' for callers that
 * predate the audit trail.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import type { Database, Line, PhoneNumber } from '../schema.ts';
import { auditRepository } from './audit.ts';
import { findSummary } from './flows.ts';

/** Same shape as the CHECK on numbers.digits. */
const DIGITS = /^\+?[0-9]{2,20}$/;
const PUNCTUATION = /[\s().-]/g;

/** Drops the punctuation people type in numbers; throws ValidationError if no dialled number remains. */
export function normalizeDigits(input: string): string {
  const digits = input.replace(PUNCTUATION, '');
  if (!DIGITS.test(digits)) throw new ValidationError('number', `not a dialled number: ${JSON.stringify(input)}`);
  return digits;
}

function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new ValidationError('time_zone', `unknown IANA time zone: ${timeZone}`);
  }
}

export interface LinesRepository {
  createLine(tenantId: string, input: { name: string; timeZone: string }, by?: string): Promise<Line>;
  /** Throws NotFoundError. */
  getLine(tenantId: string, lineId: string): Promise<Line>;
  listLines(tenantId: string): Promise<Line[]>;
  /** Throws NotFoundError (line not in this tenant), ConflictError (number taken by any tenant). */
  addNumber(tenantId: string, lineId: string, digits: string, by?: string): Promise<PhoneNumber>;
  /** Throws NotFoundError. */
  removeNumber(tenantId: string, digits: string, by?: string): Promise<void>;
  listNumbers(tenantId: string, lineId: string): Promise<PhoneNumber[]>;
  findLineByNumber(tenantId: string, digits: string): Promise<Line | undefined>;
  /** A line named by its id, one of its numbers or its name (the API and CLI accept all three). Throws NotFoundError. */
  resolveLine(tenantId: string, ref: string): Promise<Line>;
  /** Unscoped by design: which tenant and line a dialled number belongs to. */
  routeDialled(digits: string): Promise<{ tenantId: string; lineId: string } | undefined>;
  /**
   * Attaches a flow (id or name, same tenant) to a line (id or number), or detaches it (null).
   * Throws NotFoundError for either. Audit 'line.flow' {from, to}.
   */
  setFlow(tenantId: string, lineRef: string, flowRef: string | null, by: string): Promise<Line>;
  /** Unscoped by design, like routeDialled: what an inbound call to `digits` runs. */
  lineForCall(digits: string): Promise<LineForCall | undefined>;
  /** Renames a line or changes its zone. Throws NotFoundError, ConflictError, ValidationError. Audit 'line.update'. */
  updateLine(tenantId: string, lineRef: string, patch: { name?: string; timeZone?: string }, by: string): Promise<Line>;
}

export interface LineForCall {
  tenantId: string;
  lineId: string;
  lineName: string;
  timeZone: string;
  flowId: string | null;
}

export function linesRepository(db: Kysely<Database>, clock: Clock): LinesRepository {
  const audit = auditRepository(db, clock);
  const findByNumber = async (tenantId: string, input: string): Promise<Line | undefined> => {
    if (!isUuid(tenantId)) return undefined;
    let digits: string;
    try {
      digits = normalizeDigits(input);
    } catch {
      return undefined;
    }
    return db
      .selectFrom('numbers')
      .innerJoin('lines', (join) =>
        join.onRef('lines.id', '=', 'numbers.line_id').onRef('lines.tenant_id', '=', 'numbers.tenant_id'),
      )
      .selectAll('lines')
      .where('numbers.tenant_id', '=', tenantId)
      .where('numbers.digits', '=', digits)
      .executeTakeFirst();
  };

  const getLine = async (tenantId: string, lineId: string): Promise<Line> => {
    const row =
      isUuid(tenantId) && isUuid(lineId)
        ? await db
            .selectFrom('lines')
            .selectAll()
            .where('tenant_id', '=', tenantId)
            .where('id', '=', lineId)
            .executeTakeFirst()
        : undefined;
    if (!row) throw new NotFoundError('line', lineId);
    return row;
  };

  const resolveLine = async (tenantId: string, ref: string): Promise<Line> => {
    if (isUuid(ref)) return getLine(tenantId, ref);
    // A number, or else the line's name (unique in the tenant): "E購網" reads better than its id.
    const line =
      (await findByNumber(tenantId, ref)) ??
      (isUuid(tenantId) ? await db.selectFrom('lines').selectAll().where('tenant_id', '=', tenantId).where('name', '=', ref).executeTakeFirst() : undefined);
    if (!line) throw new NotFoundError('line', ref);
    return line;
  };

  return {
    async createLine(tenantId, { name, timeZone }, by = 'system') {
      requireId('tenant', tenantId);
      if (name.trim() === '') throw new ValidationError('name', 'must not be empty');
      checkTimeZone(timeZone);
      try {
        return await db.transaction().execute(async (trx) => {
          const line = await trx
            .insertInto('lines')
            .values({ tenant_id: tenantId, name, time_zone: timeZone, created_at: new Date(clock.wallNow()) })
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit.record(tenantId, { actor: by, action: 'line.create', subject: `line:${line.id}`, detail: { name, timeZone } }, trx);
          return line;
        });
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
        throw mapConflict(err, `line ${name}`);
      }
    },

    getLine,

    async listLines(tenantId) {
      if (!isUuid(tenantId)) return [];
      return db.selectFrom('lines').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute();
    },

    async addNumber(tenantId, lineId, input, by = 'system') {
      const digits = normalizeDigits(input);
      await getLine(tenantId, lineId);
      try {
        return await db.transaction().execute(async (trx) => {
          const number = await trx
            .insertInto('numbers')
            .values({ tenant_id: tenantId, line_id: lineId, digits, created_at: new Date(clock.wallNow()) })
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit.record(tenantId, { actor: by, action: 'line.number.add', subject: `line:${lineId}`, detail: { number: digits } }, trx);
          return number;
        });
      } catch (err) {
        // The composite foreign key is the backstop if the line vanished since getLine.
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('line', lineId);
        throw mapConflict(err, `number ${digits}`);
      }
    },

    async removeNumber(tenantId, input, by = 'system') {
      const digits = normalizeDigits(input);
      if (!isUuid(tenantId)) throw new NotFoundError('number', digits);
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .deleteFrom('numbers')
          .where('tenant_id', '=', tenantId)
          .where('digits', '=', digits)
          .returning('line_id')
          .executeTakeFirst();
        if (!row) throw new NotFoundError('number', digits);
        await audit.record(tenantId, { actor: by, action: 'line.number.remove', subject: `line:${row.line_id}`, detail: { number: digits } }, trx);
      });
    },

    async listNumbers(tenantId, lineId) {
      if (!isUuid(tenantId) || !isUuid(lineId)) return [];
      return db
        .selectFrom('numbers')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('line_id', '=', lineId)
        .orderBy('digits')
        .execute();
    },

    findLineByNumber: findByNumber,

    resolveLine,

    async routeDialled(input) {
      let digits: string;
      try {
        digits = normalizeDigits(input);
      } catch {
        return undefined;
      }
      const row = await db
        .selectFrom('numbers')
        .select(['tenant_id', 'line_id'])
        .where('digits', '=', digits)
        .executeTakeFirst();
      return row ? { tenantId: row.tenant_id, lineId: row.line_id } : undefined;
    },

    async setFlow(tenantId, lineRef, flowRef, by) {
      const line = await resolveLine(tenantId, lineRef);
      const flowId = flowRef === null ? null : (await findSummary(db, tenantId, flowRef)).id;
      return db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('lines')
          .set({ flow_id: flowId })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', line.id)
          .returningAll()
          .executeTakeFirst();
        if (!updated) throw new NotFoundError('line', lineRef);
        await audit.record(
          tenantId,
          { actor: by, action: 'line.flow', subject: `line:${line.id}`, detail: { from: line.flow_id, to: flowId } },
          trx,
        );
        return updated;
      });
    },

    async lineForCall(input) {
      let digits: string;
      try {
        digits = normalizeDigits(input);
      } catch {
        return undefined;
      }
      const row = await db
        .selectFrom('numbers')
        .innerJoin('lines', (join) =>
          join.onRef('lines.id', '=', 'numbers.line_id').onRef('lines.tenant_id', '=', 'numbers.tenant_id'),
        )
        .select(['lines.tenant_id', 'lines.id', 'lines.name', 'lines.time_zone', 'lines.flow_id'])
        .where('numbers.digits', '=', digits)
        .executeTakeFirst();
      return row
        ? { tenantId: row.tenant_id, lineId: row.id, lineName: row.name, timeZone: row.time_zone, flowId: row.flow_id }
        : undefined;
    },

    async updateLine(tenantId, lineRef, patch, by) {
      const line = await resolveLine(tenantId, lineRef);
      if (patch.name !== undefined && patch.name.trim() === '') throw new ValidationError('name', 'must not be empty');
      if (patch.timeZone !== undefined) checkTimeZone(patch.timeZone);
      try {
        return await db.transaction().execute(async (trx) => {
          const updated = await trx
            .updateTable('lines')
            .set({ name: patch.name ?? line.name, time_zone: patch.timeZone ?? line.time_zone })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', line.id)
            .returningAll()
            .executeTakeFirst();
          if (!updated) throw new NotFoundError('line', lineRef);
          await audit.record(tenantId, { actor: by, action: 'line.update', subject: `line:${line.id}`, detail: { ...patch } }, trx);
          return updated;
        });
      } catch (err) {
        throw mapConflict(err, `line ${patch.name ?? line.name}`);
      }
    },
  };
}
