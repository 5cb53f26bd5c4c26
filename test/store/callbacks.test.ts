/**
 * Callbacks in the store: created durable (visible to another connection, and after a
 * kill -9 of the writing process), claimed atomically (never twice, also by two concurrent
 * claimers on PostgreSQL), respecting their time and window; retries with spacing, failure
 * after max attempts, release, cancel, recovery of a restarted worker's claims; tenant scoping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ConflictError, NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { openStore } from '../../src/store/db.ts';
import { freshPgliteDataDir } from './pglite-template.ts';
import { ManualClock } from '../../src/clock.ts';
import { eachBackend } from './backends.ts';

const MIN = 60_000;

eachBackend('callbacks', (ctx) => {
  const setup = async (slug: string) => {
    const db = ctx.store().db;
    const t = await tenantsRepository(db, ctx.clock).create({ slug, name: slug });
    const line = await linesRepository(db, ctx.clock).createLine(t.id, { name: 'L', timeZone: 'Asia/Taipei' });
    return { t, line, callbacks: callbacksRepository(db, ctx.clock) };
  };

  test('create records number, line, time, path and digits; the row is committed when create resolves', async () => {
    const { t, line, callbacks } = await setup('cb-create');
    const now = new Date(ctx.clock.wallNow());
    const due = new Date(now.getTime() + 10 * MIN);
    const callId = '6f1c2a3b-0000-4000-8000-000000000001';
    const cb = await callbacks.create(t.id, {
      lineId: line.id,
      queue: 'egou-orders',
      callerNumber: '0912345678',
      kind: 'keep-place',
      dueAt: due,
      ivrPath: ['welcome', 'menu', 'queue'],
      digits: '0#',
      callId,
      positionEnteredAt: now,
    });
    assert.deepEqual(
      { ...cb, id: '' },
      {
        id: '',
        tenantId: t.id,
        lineId: line.id,
        queue: 'egou-orders',
        callerNumber: '0912345678',
        requestedAt: now,
        kind: 'keep-place',
        dueAt: due,
        windowStart: null,
        windowEnd: null,
        state: 'pending',
        attempts: 0,
        maxAttempts: 3,
        lastAttemptAt: null,
        nextAttemptAt: due,
        claimedBy: null,
        ivrPath: ['welcome', 'menu', 'queue'],
        digits: '0#',
        voicemailId: null,
        callId,
        agentId: null,
        result: null,
        positionEnteredAt: now,
        updatedAt: now,
      },
    );
    assert.deepEqual(await callbacks.get(t.id, cb.id), cb);
    if (ctx.kind === 'postgres') {
      // Another connection (another node) sees it at once: it is committed, not just written.
      const loc = ctx.location() as { databaseUrl: string; schema: string };
      const client = new pg.Client({ connectionString: loc.databaseUrl, options: `-c search_path=${loc.schema}` });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT caller_number FROM callbacks WHERE id = $1', [cb.id]);
        assert.deepEqual(rows, [{ caller_number: '0912345678' }], 'visible to another session');
      } finally {
        await client.end();
      }
    }
    await assert.rejects(callbacks.create(t.id, { lineId: line.id, callerNumber: '', kind: 'scheduled' }), ValidationError);
    await assert.rejects(callbacks.create(t.id, { lineId: line.id, callerNumber: '1', kind: 'later' as never }), ValidationError);
    await assert.rejects(callbacks.create(t.id, { lineId: line.id, callerNumber: '1', kind: 'scheduled', digits: 'x' }), ValidationError);
    await assert.rejects(
      callbacks.create(t.id, { lineId: '00000000-0000-4000-8000-000000000000', callerNumber: '1', kind: 'scheduled' }),
      (err: unknown) => err instanceof NotFoundError && err.entity === 'line',
    );
  });

  test('claimDue takes only due rows inside their window, oldest first, marks them in-progress and never hands one out twice', async () => {
    const { t, line, callbacks } = await setup('cb-claim');
    const t0 = ctx.clock.wallNow();
    const at = (m: number) => new Date(t0 + m * MIN);
    const mk = (callerNumber: string, extra: Partial<Parameters<typeof callbacks.create>[1]>) =>
      callbacks.create(t.id, { lineId: line.id, callerNumber, kind: 'scheduled', ...extra });
    await mk('201', { dueAt: at(5) });
    await mk('202', { dueAt: at(-1) });
    const first = await mk('203', { dueAt: at(-2) });
    await mk('204', { dueAt: at(-3), windowStart: at(1), windowEnd: at(60) });
    const over = await mk('205', { dueAt: at(-3), windowStart: at(-60), windowEnd: at(-1) });
    const cancelled = await mk('206', { dueAt: at(-3) });
    await callbacks.cancel(t.id, cancelled.id, 'alice');

    const claimed = await callbacks.claimDue(at(0), 10, { tenantId: t.id, claimedBy: 'node-a' });
    assert.deepEqual(claimed.map((c) => c.callerNumber), ['203', '202'], 'due ones, oldest next attempt first; not the future, closed-window, expired-window or cancelled ones');
    assert.ok(claimed.every((c) => c.state === 'in-progress' && c.attempts === 1 && c.claimedBy === 'node-a' && c.lastAttemptAt?.getTime() === t0));
    assert.deepEqual(await callbacks.claimDue(at(0), 10, { tenantId: t.id }), [], 'claimed rows are not claimed again');
    assert.deepEqual((await callbacks.claimDue(at(2), 1, { tenantId: t.id })).map((c) => c.callerNumber), ['204'], 'inside its window now; the limit holds');
    assert.deepEqual((await callbacks.claimDue(at(10), 10, { tenantId: t.id })).map((c) => c.callerNumber), ['201']);
    assert.equal((await callbacks.get(t.id, over.id)).state, 'pending', 'a window that has passed is not worked');
    assert.equal((await callbacks.get(t.id, first.id)).state, 'in-progress');
  });

  test('results: done; retry with spacing (or the next window); failed after max attempts; release does not count; cancel; restart recovery', async () => {
    const { t, line, callbacks } = await setup('cb-results');
    const t0 = ctx.clock.wallNow();
    const at = (m: number) => new Date(t0 + m * MIN);
    const a = await callbacks.create(t.id, { lineId: line.id, callerNumber: '301', kind: 'scheduled', dueAt: at(0), maxAttempts: 2 });

    assert.equal((await callbacks.claimDue(at(0), 5, { tenantId: t.id }))[0]?.id, a.id);
    const r1 = await callbacks.retry(t.id, a.id, { at: at(1), result: 'no-answer', spacingMs: 10 * MIN });
    assert.deepEqual([r1.state, r1.attempts, r1.result, r1.nextAttemptAt?.getTime(), r1.claimedBy], ['pending', 1, 'no-answer', at(11).getTime(), null]);
    assert.deepEqual(await callbacks.claimDue(at(5), 5, { tenantId: t.id }), [], 'not before its spacing');
    assert.equal((await callbacks.claimDue(at(11), 5, { tenantId: t.id }))[0]?.attempts, 2);
    const r2 = await callbacks.retry(t.id, a.id, { at: at(12), result: 'busy', spacingMs: 10 * MIN });
    assert.deepEqual([r2.state, r2.attempts, r2.result, r2.nextAttemptAt], ['failed', 2, 'busy', null], 'failed after max attempts');
    await assert.rejects(callbacks.retry(t.id, a.id, { at: at(13), result: 'x', spacingMs: 0 }), ConflictError);

    const b = await callbacks.create(t.id, { lineId: line.id, callerNumber: '302', kind: 'keep-place', dueAt: at(30) });
    const claimedB = await callbacks.claim(t.id, b.id, at(2), 'node-a');
    assert.deepEqual([claimedB?.state, claimedB?.attempts], ['in-progress', 1], 'claimed by id before its estimated time');
    assert.equal(await callbacks.claim(t.id, b.id, at(2)), undefined, 'not twice');
    const released = await callbacks.release(t.id, b.id, at(3));
    assert.deepEqual([released.state, released.attempts, released.nextAttemptAt?.getTime()], ['due', 0, at(3).getTime()], 'back to due, uncounted');
    await callbacks.claim(t.id, b.id, at(4));
    const done = await callbacks.complete(t.id, b.id, { at: at(6), result: 'answered' });
    assert.deepEqual([done.state, done.result, done.updatedAt.getTime()], ['done', 'answered', at(6).getTime()]);
    await assert.rejects(callbacks.cancel(t.id, b.id, 'bob'), ConflictError, 'a done callback cannot be cancelled');

    const c = await callbacks.create(t.id, { lineId: line.id, callerNumber: '303', kind: 'scheduled', dueAt: at(0) });
    await callbacks.claimDue(at(0), 5, { tenantId: t.id, claimedBy: 'node-b' });
    const windowNext = at(600);
    const r3 = await callbacks.retry(t.id, c.id, { at: at(1), result: 'no-answer', spacingMs: MIN, notBefore: windowNext });
    assert.equal(r3.nextAttemptAt?.getTime(), windowNext.getTime(), 'the next calling window when it is later than the spacing');
    await callbacks.markDue(t.id, c.id, at(2));
    assert.equal((await callbacks.get(t.id, c.id)).state, 'due');
    await callbacks.claimDue(at(2), 5, { tenantId: t.id, claimedBy: 'node-b' });
    assert.equal(await callbacks.releaseClaims('node-b', at(3)), 1, 'a restarted worker gets its claims back');
    assert.deepEqual(await callbacks.get(t.id, c.id).then((x) => [x.state, x.claimedBy]), ['due', null]);
    const cancelled = await callbacks.cancel(t.id, c.id, 'bob');
    assert.deepEqual([cancelled.state, cancelled.result], ['cancelled', 'cancelled by bob']);

    assert.deepEqual(
      (await callbacks.list(t.id, { state: ['done', 'failed'] })).map((x) => x.callerNumber).sort(),
      ['301', '302'],
      'the worklist filters by state',
    );
    assert.equal((await callbacks.list(t.id)).length, 3);
    assert.deepEqual(await callbacks.list(t.id, { state: [] }), [], 'no state asked, none listed');
  });

  test('two claimers at once never take the same callback', async () => {
    const { t, line, callbacks } = await setup('cb-race');
    const now = new Date(ctx.clock.wallNow());
    for (let i = 0; i < 20; i++) await callbacks.create(t.id, { lineId: line.id, callerNumber: `40${i}`, kind: 'scheduled', dueAt: now });
    let other = callbacks;
    let close = async (): Promise<void> => {};
    if (ctx.kind === 'postgres') {
      // A second pool, as a second node would have.
      const second = await openStore(ctx.location(), { clock: ctx.clock, migrate: false });
      other = callbacksRepository(second.db, ctx.clock);
      close = () => second.close();
    }
    try {
      const batches = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 === 0 ? callbacks : other).claimDue(now, 7, { tenantId: t.id, claimedBy: `w${i}` })));
      const ids = batches.flat().map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length, 'no callback claimed twice');
      assert.equal(ids.length, 20, 'all twenty claimed between them');
    } finally {
      await close();
    }
  });

  test("tenant isolation: another tenant's callbacks are neither seen nor changed", async () => {
    const a = await setup('cb-iso-a');
    const b = await setup('cb-iso-b');
    const cb = await b.callbacks.create(b.t.id, { lineId: b.line.id, callerNumber: '501', kind: 'scheduled' });
    await assert.rejects(a.callbacks.get(a.t.id, cb.id), NotFoundError);
    await assert.rejects(a.callbacks.cancel(a.t.id, cb.id, 'eve'), NotFoundError);
    assert.equal(await a.callbacks.claim(a.t.id, cb.id, new Date(ctx.clock.wallNow())), undefined);
    assert.deepEqual(await a.callbacks.list(a.t.id), []);
    assert.deepEqual(await a.callbacks.claimDue(new Date(ctx.clock.wallNow() + MIN), 10, { tenantId: a.t.id }), []);
    await assert.rejects(a.callbacks.create(a.t.id, { lineId: b.line.id, callerNumber: '1', kind: 'scheduled' }), NotFoundError, "a line of another tenant is refused");
    assert.equal((await b.callbacks.get(b.t.id, cb.id)).state, 'pending');
  });
});

test('a callback create that resolved survives kill -9 of the process (embedded store)', async () => {
  const { rm } = await import('node:fs/promises');
  const dir = await freshPgliteDataDir('surgeline-cb-kill-');
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./callback-writer.ts', import.meta.url)), dir], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(child.signal, 'SIGKILL', `the writer killed itself after the create resolved: ${child.stderr}`);
    const id = /created (\S+)/.exec(child.stdout)?.[1];
    assert.ok(id, `the writer reported the created callback: ${child.stdout}`);
    const store = await openStore({ dataDir: dir }, { clock: new ManualClock() });
    try {
      const rows = await store.db.selectFrom('callbacks').select(['id', 'caller_number']).execute();
      assert.deepEqual(rows, [{ id, caller_number: '0987654321' }], 'the callback is there after the kill');
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
