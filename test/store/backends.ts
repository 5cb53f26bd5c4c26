/**
 * Runs a block of store tests once per backend: a fresh PGlite in a temp dir (a copy of the
 * migrated template, pglite-template.ts), and a fresh
 * schema in the PostgreSQL test database (TEST_DATABASE_URL, default the development and CI
 * server at 127.0.0.1:5432/test with trust auth). One store per backend per file, shared by
 * the tests in it (so tests create their own tenants), because PGlite's initdb takes seconds.
 */
import { after, before, describe } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ManualClock } from '../../src/clock.ts';
import { openStore, type Store, type StoreKind, type StoreLocation } from '../../src/store/db.ts';
import { freshPgliteDataDir } from './pglite-template.ts';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BackendContext {
  readonly kind: StoreKind;
  readonly clock: ManualClock;
  /** The open store (valid inside tests). */
  store(): Store;
  /** Where the store lives, for tests that open it again. */
  location(): StoreLocation;
  /** Closes the store and opens it again at the same location (running start-up migrations). */
  reopen(): Promise<Store>;
}

export interface BackendOptions {
  /** Narrows the run for tests whose subject is above the store (the CLI over the API): the store and API tests already run on both. */
  readonly kinds?: readonly StoreKind[];
  /** An empty PGlite cluster (initdb, every migration) instead of a copy of the migrated template: the migration tests. */
  readonly emptyStore?: boolean;
}

export function eachBackend(title: string, body: (ctx: BackendContext) => void, opts: BackendOptions = {}): void {
  for (const kind of opts.kinds ?? (['pglite', 'postgres'] as const)) {
    describe(`${title} [${kind}]`, () => {
      let store: Store | undefined;
      let location: StoreLocation | undefined;
      let cleanup: (() => Promise<void>) | undefined;
      const clock = new ManualClock();
      const ctx: BackendContext = {
        kind,
        clock,
        store() {
          if (!store) throw new Error('store not open');
          return store;
        },
        location() {
          if (!location) throw new Error('store not open');
          return location;
        },
        async reopen() {
          if (!location) throw new Error('store not open');
          await store?.close();
          store = await openStore(location, { clock });
          return store;
        },
      };
      before(async () => {
        if (kind === 'pglite') {
          const dir = opts.emptyStore ? await mkdtemp(join(tmpdir(), 'surgeline-store-')) : await freshPgliteDataDir('surgeline-store-');
          location = { dataDir: dir };
          cleanup = () => rm(dir, { recursive: true, force: true });
        } else {
          const schema = `t_${randomBytes(6).toString('hex')}`;
          location = { databaseUrl: TEST_DATABASE_URL, schema };
          cleanup = async () => {
            const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
            await client.connect();
            try {
              await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
            } finally {
              await client.end();
            }
          };
        }
        store = await openStore(location, { clock });
      });
      after(async () => {
        await store?.close();
        store = undefined;
        await cleanup?.();
      });
      body(ctx);
    });
  }
}
