/**
 * Lines and their numbers. Every function takes the tenant id and every query filters on
 * it: a line or number of another tenant is indistinguishable from one that does not
 * exist. The one exception is routeDialled: an inbound INVITE names only the dialled
 * number, so the number itself (unique across tenants) is what attributes a call.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import type { Database, Line, PhoneNumber } from '../schema.ts';

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
  createLine(tenantId: string, input: { name: string; timeZone: string }): Promise<Line>;
  /** Throws NotFoundError. */
  getLine(tenantId: string, lineId: string): Promise<Line>;
  listLines(tenantId: string): Promise<Line[]>;
  /** Throws NotFoundError (line not in this tenant), ConflictError (number taken by any tenant). */
  addNumber(tenantId: string, lineId: string, digits: string): Promise<PhoneNumber>;
  /** Throws NotFoundError. */
  removeNumber(tenantId: string, digits: string): Promise<void>;
  listNumbers(tenantId: string, lineId: string): Promise<PhoneNumber[]>;
  findLineByNumber(tenantId: string, digits: string): Promise<Line | undefined>;
  /** A line named by its id or by one of its numbers (the API and CLI accept both). Throws NotFoundError. */
  resolveLine(tenantId: string, ref: string): Promise<Line>;
  /** Unscoped by design: which tenant and line a dialled number belongs to. */
  routeDialled(digits: string): Promise<{ tenantId: string; lineId: string } | undefined>;
}

export function linesRepository(db: Kysely<Database>, clock: Clock): LinesRepository {
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

  return {
    async createLine(tenantId, { name, timeZone }) {
      requireId('tenant', tenantId);
      if (name.trim() === '') throw new ValidationError('name', 'must not be empty');
      checkTimeZone(timeZone);
      try {
        return await db
          .insertInto('lines')
          .values({ tenant_id: tenantId, name, time_zone: timeZone, created_at: new Date(clock.wallNow()) })
          .returningAll()
          .executeTakeFirstOrThrow();
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

    async addNumber(tenantId, lineId, input) {
      const digits = normalizeDigits(input);
      await getLine(tenantId, lineId);
      try {
        return await db
          .insertInto('numbers')
          .values({ tenant_id: tenantId, line_id: lineId, digits, created_at: new Date(clock.wallNow()) })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        // The composite foreign key is the backstop if the line vanished since getLine.
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('line', lineId);
        throw mapConflict(err, `number ${digits}`);
      }
    },

    async removeNumber(tenantId, input) {
      const digits = normalizeDigits(input);
      const result = isUuid(tenantId)
        ? await db.deleteFrom('numbers').where('tenant_id', '=', tenantId).where('digits', '=', digits).executeTakeFirst()
        : undefined;
      if (!result || result.numDeletedRows === 0n) throw new NotFoundError('number', digits);
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

    async resolveLine(tenantId, ref) {
      if (isUuid(ref)) return getLine(tenantId, ref);
      const line = await findByNumber(tenantId, ref);
      if (!line) throw new NotFoundError('line', ref);
      return line;
    },

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
  };
}
