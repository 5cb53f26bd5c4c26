/**
 * Versioned migrations, run at start. Each migration runs in its own transaction together
 * with its row in schema_migrations, so a failed migration leaves no half-applied schema
 * (PostgreSQL DDL is transactional). A transaction-scoped advisory lock serialises nodes
 * that start at the same time against one PostgreSQL; the lock key includes the schema so
 * separate schemas (tests, tenants of a shared server) do not wait on each other.
 */
import { sql, type Kysely } from 'kysely';
import { realClock, type Clock } from '../clock.ts';
import type { Database } from './schema.ts';
import { tenancy } from './migrations/001_tenancy.ts';
import { flowsCalls } from './migrations/002_flows_calls.ts';
import { presetValues } from './migrations/003_preset_values.ts';
import { acd } from './migrations/004_acd.ts';
import { keyUsers } from './migrations/005_key_users.ts';
import { announcedEwt } from './migrations/006_announced_ewt.ts';
import { recordingPauses } from './migrations/007_recording_pauses.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<unknown>): Promise<void>;
}

/** In version order; a released migration is never edited, only followed by a new one. */
export const MIGRATIONS: readonly Migration[] = [tenancy, flowsCalls, presetValues, acd, keyUsers, announcedEwt, recordingPauses];

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was already current). */
  readonly applied: readonly number[];
  readonly version: number;
}

export async function migrate(
  db: Kysely<Database>,
  options: { clock?: Clock; migrations?: readonly Migration[] } = {},
): Promise<MigrateResult> {
  const clock = options.clock ?? realClock();
  const migrations = options.migrations ?? MIGRATIONS;
  checkOrder(migrations);
  const applied: number[] = [];
  for (;;) {
    const step = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('surgeline.migrate.' || current_schema()))`.execute(trx);
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL
      )`.execute(trx);
      const done = await trx.selectFrom('schema_migrations').select(['version', 'name']).orderBy('version').execute();
      checkKnown(done, migrations);
      const doneVersions = new Set(done.map((d) => d.version));
      const next = migrations.find((m) => !doneVersions.has(m.version));
      if (!next) return undefined;
      // Migrations see an untyped database: schema.ts describes the newest schema, not the one
      // an older migration runs against.
      await next.up(trx as unknown as Kysely<unknown>);
      await trx
        .insertInto('schema_migrations')
        .values({ version: next.version, name: next.name, applied_at: new Date(clock.wallNow()) })
        .execute();
      return next.version;
    });
    if (step === undefined) break;
    applied.push(step);
  }
  return { applied, version: migrations.at(-1)?.version ?? 0 };
}

function checkOrder(migrations: readonly Migration[]): void {
  let last = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= last) {
      throw new MigrationError(`migration versions must be increasing integers: ${m.version} after ${last}`);
    }
    last = m.version;
  }
}

/**
 * A database touched by newer code (or by a different migration under the same number)
 * must not be written by this code: it would run against a schema it does not know.
 */
function checkKnown(done: readonly { version: number; name: string }[], migrations: readonly Migration[]): void {
  const known = new Map(migrations.map((m) => [m.version, m.name]));
  for (const d of done) {
    const name = known.get(d.version);
    if (name === undefined) {
      const newest = migrations.at(-1)?.version ?? 0;
      throw new MigrationError(
        `database schema is at version ${d.version} (${d.name}) but this code knows only up to ${newest}: upgrade surgeline`,
      );
    }
    if (name !== d.name) {
      throw new MigrationError(`database migration ${d.version} is "${d.name}" but this code has "${name}"`);
    }
  }
}
