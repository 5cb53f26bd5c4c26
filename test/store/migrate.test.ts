import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore } from '../../src/store/db.ts';
import { StoreLockedError } from '../../src/store/dir-lock.ts';
import { MIGRATIONS, MigrationError, migrate } from '../../src/store/migrate.ts';
import { eachBackend } from './backends.ts';

const latest = MIGRATIONS.at(-1)?.version ?? 0;

eachBackend('migrations', (ctx) => {
  test('the first open applied every migration and recorded it', async () => {
    assert.deepEqual(ctx.store().migration?.applied, MIGRATIONS.map((m) => m.version));
    const rows = await ctx.store().db.selectFrom('schema_migrations').select(['version', 'name', 'applied_at']).execute();
    assert.deepEqual(
      rows.map((r) => [r.version, r.name]),
      MIGRATIONS.map((m) => [m.version, m.name]),
    );
    assert.equal(rows[0]?.applied_at.getTime(), ctx.clock.wallNow());
  });

  test('running migrations again is a no-op', async () => {
    const again = await migrate(ctx.store().db, { clock: ctx.clock });
    assert.deepEqual(again, { applied: [], version: latest });
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM schema_migrations`.execute(ctx.store().db);
    assert.equal(rows[0]?.n, String(MIGRATIONS.length));
  });

  test('a failing migration leaves neither its tables nor its record behind', async () => {
    const failing = {
      version: latest + 1,
      name: 'half_done',
      async up(db: Parameters<(typeof MIGRATIONS)[number]['up']>[0]) {
        await sql`CREATE TABLE half_done (x int)`.execute(db);
        await sql`SELECT 1 / 0`.execute(db);
      },
    };
    await assert.rejects(migrate(ctx.store().db, { migrations: [...MIGRATIONS, failing] }), /division by zero/);
    const { rows } = await sql<{ t: string | null }>`SELECT to_regclass('half_done')::text AS t`.execute(ctx.store().db);
    assert.equal(rows[0]?.t, null);
    const versions = await ctx.store().db.selectFrom('schema_migrations').select('version').execute();
    assert.equal(versions.length, MIGRATIONS.length);
  });

  test('refuses a database at a newer version than the code knows', async () => {
    const db = ctx.store().db;
    await db.insertInto('schema_migrations').values({ version: 999, name: 'future', applied_at: new Date() }).execute();
    try {
      await assert.rejects(migrate(db), (err: unknown) => err instanceof MigrationError && /version 999/.test(err.message));
    } finally {
      await db.deleteFrom('schema_migrations').where('version', '=', 999).execute();
    }
  });

  test('refuses a recorded migration whose name differs from the code', async () => {
    const db = ctx.store().db;
    await db.updateTable('schema_migrations').set({ name: 'other' }).where('version', '=', 1).execute();
    try {
      await assert.rejects(migrate(db), MigrationError);
    } finally {
      await db.updateTable('schema_migrations').set({ name: MIGRATIONS[0]?.name ?? '' }).where('version', '=', 1).execute();
    }
  });

  test('data persists across close and reopen at the same location, and reopening migrates nothing', async () => {
    const now = new Date(ctx.clock.wallNow());
    await ctx.store().db.insertInto('tenants').values({ slug: 'persist', name: 'Persist Co', created_at: now }).execute();
    const reopened = await ctx.reopen();
    assert.deepEqual(reopened.migration?.applied, []);
    const row = await reopened.db.selectFrom('tenants').selectAll().where('slug', '=', 'persist').executeTakeFirst();
    assert.equal(row?.name, 'Persist Co');
    assert.equal(row?.created_at.getTime(), now.getTime());
  });

  test('a transaction is atomic and isolated from other callers of the same store', async () => {
    const db = ctx.store().db;
    const now = new Date(ctx.clock.wallNow());
    let outside: Promise<{ slug: string }[]> | undefined;
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values({ slug: 'rolled-back', name: 'x', created_at: now }).execute();
        // A concurrent caller outside the transaction must neither see the uncommitted row nor
        // run inside the transaction (PGlite has one session: the dialect must make it wait).
        outside = db.selectFrom('tenants').select('slug').where('slug', '=', 'rolled-back').execute();
        await trx.insertInto('tenants').values({ slug: 'rolled-back', name: 'dup', created_at: now }).execute();
      }),
      /duplicate key/,
    );
    assert.deepEqual(await outside, []);
    const rows = await db.selectFrom('tenants').select('slug').where('slug', '=', 'rolled-back').execute();
    assert.deepEqual(rows, []);
  });

  test('a v1 database migrates to the newest schema keeping its lines (no flow attached)', async () => {
    // A schema left at version 1 by the previous release, next to the test's own: one
    // connection (search_path is per session) runs both migrations and the checks.
    await ctx.store().db.connection().execute(async (conn) => {
      const { rows } = await sql<{ search_path: string }>`SHOW search_path`.execute(conn);
      const original = rows[0]?.search_path ?? 'public';
      await sql`CREATE SCHEMA v1_upgrade`.execute(conn);
      await sql`SET search_path TO v1_upgrade`.execute(conn);
      try {
        assert.deepEqual(await migrate(conn, { clock: ctx.clock, migrations: MIGRATIONS.slice(0, 1) }), { applied: [1], version: 1 });
        const now = new Date(ctx.clock.wallNow());
        const tenant = await conn.insertInto('tenants').values({ slug: 'old', name: 'Old', created_at: now } as never).returning('id').executeTakeFirstOrThrow();
        const line = await conn
          .insertInto('lines')
          .values({ tenant_id: tenant.id, name: 'legacy', time_zone: 'Asia/Taipei', created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        const result = await migrate(conn, { clock: ctx.clock });
        assert.deepEqual(result.applied, MIGRATIONS.slice(1).map((m) => m.version), 'only the new migrations run');
        const after = await conn.selectFrom('lines').selectAll().where('id', '=', line.id).executeTakeFirstOrThrow();
        assert.deepEqual([after.name, after.time_zone, after.flow_id], ['legacy', 'Asia/Taipei', null], 'the line survives, no flow attached');
        const t = await conn.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
        assert.equal(t.operator, false, 'existing tenants are not operators by default');
      } finally {
        await sql.raw(`SET search_path TO ${original}`).execute(conn);
        await sql`DROP SCHEMA v1_upgrade CASCADE`.execute(conn);
      }
    });
  });

  test('an embedded store can be open in only one place at a time', { skip: ctx.kind !== 'pglite' && 'PGlite only' }, async () => {
    await assert.rejects(openStore(ctx.location()), StoreLockedError);
    // The refused open must not have disturbed the open store.
    await ctx.store().db.selectFrom('tenants').select('id').execute();
    // A lock left by a process that is gone is taken over.
    const location = ctx.location();
    assert.ok('dataDir' in location);
    await ctx.store().close();
    await writeFile(join(location.dataDir, 'surgeline.lock'), '999999999\n');
    const reopened = await ctx.reopen();
    assert.deepEqual(reopened.migration?.applied, []);
  });
}, { emptyStore: true }); // these tests are about migrating: never the migrated template
