/**
 * Opening the store: embedded PGlite under the data directory by default (one machine,
 * no server), or a real PostgreSQL when a URL is given (several nodes). Both speak the same
 * PostgreSQL SQL through Kysely, so repositories and migrations have one code path.
 * Migrations run here, before anyone can query, unless the caller opts out.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Clock } from '../clock.ts';
import { lockDir } from './dir-lock.ts';
import { migrate, type MigrateResult } from './migrate.ts';
import { PGLITE_PARSERS, PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export type StoreKind = 'pglite' | 'postgres';

export type StoreLocation =
  | { dataDir: string }
  /** `schema`, when given, is created if missing and becomes the search_path of every connection. */
  | { databaseUrl: string; schema?: string };

export interface StoreOptions {
  clock?: Clock;
  /** Run pending migrations on open (default true). */
  migrate?: boolean;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: StoreKind;
  /** What the start-up migration did; undefined when opened with migrate: false. */
  readonly migration: MigrateResult | undefined;
  close(): Promise<void>;
}

/** The PGlite cluster lives in a sub-directory so the data dir can also hold prompts, recordings, etc. */
export function pgliteDir(dataDir: string): string {
  return join(dataDir, 'pgdata');
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openStore(location: StoreLocation, options: StoreOptions = {}): Promise<Store> {
  const opened = 'dataDir' in location ? await openPGlite(location.dataDir) : await openPostgres(location);
  let closed = false;
  const close = async (): Promise<void> => {
    // Idempotent: a second close must not remove a lock that another opener has taken since.
    if (closed) return;
    closed = true;
    try {
      await opened.db.destroy();
    } finally {
      await opened.unlock();
    }
  };
  try {
    const migration = options.migrate === false ? undefined : await migrate(opened.db, options.clock ? { clock: options.clock } : {});
    return { db: opened.db, kind: opened.kind, migration, close };
  } catch (err) {
    await close();
    throw err;
  }
}

interface Opened {
  db: Kysely<Database>;
  kind: StoreKind;
  unlock(): Promise<void>;
}

async function openPGlite(dataDir: string): Promise<Opened> {
  const dir = pgliteDir(dataDir);
  await mkdir(dir, { recursive: true });
  const unlock = await lockDir(dataDir);
  try {
    const pglite = await PGlite.create(dir, { parsers: PGLITE_PARSERS });
    return { db: new Kysely<Database>({ dialect: new PGliteDialect(pglite) }), kind: 'pglite', unlock };
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function openPostgres(location: { databaseUrl: string; schema?: string }): Promise<Opened> {
  const { schema } = location;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  if (schema !== undefined) {
    const client = new pg.Client({ connectionString: location.databaseUrl });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: location.databaseUrl,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client dropped by the server emits 'error' on the pool; unhandled, that would
  // kill the process. The next query checks out a fresh client and reports any real outage.
  pool.on('error', () => {});
  // PostgreSQL arbitrates concurrent nodes itself; there is nothing to lock here.
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), kind: 'postgres', unlock: async () => {} };
}
