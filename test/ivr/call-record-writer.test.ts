/**
 * The IVR's call-record writer over a real store (PGlite and PostgreSQL): writes of one
 * call merge, many calls go out as one batch, a call's end never lands before its start,
 * a failing store is retried (logged) without losing a record, a call the database refuses
 * fails alone, and close() writes what is still queued. Failures are injected around the
 * real repository (a store that throws, or holds a batch back); the rows are read back
 * from the store itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';
import { CallRecordWriter, type RecordWriterOptions } from '../../src/ivr/record-writer.ts';
import { createLogger } from '../../src/log.ts';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { callsRepository, type CallWrite, type CallsRepository } from '../../src/store/repositories/calls.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from '../store/backends.ts';

/** A write that never settles fails its test instead of hanging the run. */
const T = { timeout: 30_000 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !pred(); waited += 10) {
    if (waited > 20_000) assert.fail(`waited 20 s for ${what}`);
    await sleep(10);
  }
}

function recordingLog(): { log: RecordWriterOptions['log']; lines: { level: number; msg: string; [k: string]: unknown }[] } {
  const lines: { level: number; msg: string }[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
        cb();
      },
    }),
  });
  return { log, lines };
}

const journey: JourneyEntry[] = [
  { kind: 'node', at: 1, node: 'welcome', type: 'say' },
  { kind: 'end', at: 2, node: 'welcome', end: 'caller-hangup' },
];

eachBackend('call record writer', (ctx) => {
  const setup = async (slug: string, inject?: (ws: readonly CallWrite[], real: CallsRepository) => Promise<{ unwritten: string[] }>) => {
    const tenant = await tenantsRepository(ctx.store().db, ctx.clock).create({ slug, name: slug });
    const calls = callsRepository(ctx.store().db, ctx.clock);
    const batches: CallWrite[][] = [];
    const sink = {
      write(ws: readonly CallWrite[]) {
        batches.push(ws.map((w) => ({ ...w })));
        return inject ? inject(ws, calls) : calls.write(ws);
      },
    };
    const { log, lines } = recordingLog();
    const make = (o: Partial<RecordWriterOptions> = {}) => new CallRecordWriter({ calls: sink, clock: ctx.clock, log, flushMs: 20, ...o });
    const start = (w: CallRecordWriter, id: string, sipCallId = `sip-${id}`, lineId: string | null = null) =>
      w.start({ id, tenantId: tenant.id, lineId, caller: '0912345678', dialled: '4008001111', legs: [{ role: 'caller', sipCallId }], flowId: null, flowVersion: null, startedAt: new Date(ctx.clock.wallNow()) });
    const end = (w: CallRecordWriter, id: string, outcome = 'caller-hangup') =>
      w.end(tenant.id, id, { endedAt: new Date(ctx.clock.wallNow() + 2000), outcome, journey, variables: { k: 'v' } });
    return { tenant, calls, batches, lines, make, start, end };
  };

  test('writes of one call merge into one insert; calls queued together go out as one batch', T, async () => {
    const { tenant, calls, batches, make, start, end } = await setup('writer-merge');
    const w = make();
    const x = randomUUID();
    await Promise.all([start(w, x), w.progress(tenant.id, x, { journey: journey.slice(0, 1), variables: {} }), end(w, x)]);
    assert.equal(batches.length, 1, 'one batch');
    assert.equal(batches[0]!.length, 1, 'one row for the call');
    assert.ok(batches[0]![0]!.start && batches[0]![0]!.end, 'its start and end in the same insert');
    const rec = await calls.get(tenant.id, x);
    assert.deepEqual([rec.outcome, rec.journey, rec.variables], ['caller-hangup', journey, { k: 'v' }], 'the end is stored');

    const ids: string[] = Array.from({ length: 30 }, () => randomUUID());
    await Promise.all(ids.map((id) => start(w, id)));
    assert.equal(batches.length, 2, '30 starts queued together: one more batch');
    assert.equal(batches[1]!.length, 30);
    await Promise.all(ids.map((id) => end(w, id, 'hangup')));
    const stored = await calls.list(tenant.id, { active: false, limit: 500 });
    assert.equal(stored.filter((r) => ids.includes(r.id) && r.outcome === 'hangup').length, 30, 'all 30 ended in the store');
    await w.close();
  });

  test('a full batch goes out without waiting for the timer', T, async () => {
    const { batches, make, start } = await setup('writer-full');
    const w = make({ flushMs: 3_600_000, maxRows: 5 });
    await Promise.all(Array.from({ length: 5 }, () => start(w, randomUUID())));
    assert.deepEqual(batches.map((b) => b.length), [5]);
    await w.close();
  });

  test("an end that comes while its start's batch is being written goes in the next batch, after it", T, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let n = 0;
    const { tenant, calls, batches, make, start, end } = await setup('writer-order', async (ws, real) => {
      if (n++ === 0) await gate;
      return real.write(ws);
    });
    const w = make();
    const x = randomUUID();
    const started = start(w, x);
    await until(() => batches.length === 1, 'the first batch under way');
    const ended = end(w, x);
    await sleep(60);
    assert.equal(batches.length, 1, 'no second batch while the first is being written');
    release();
    await Promise.all([started, ended]);
    assert.equal(batches.length, 2);
    assert.ok(!batches[1]![0]!.start && batches[1]![0]!.end, 'the second batch carries the end as an update');
    assert.equal((await calls.get(tenant.id, x)).outcome, 'caller-hangup');
    await w.close();
  });

  test('a failing store: the batch is retried with what came meanwhile, each failure logged, nothing lost', T, async () => {
    let failures = 2;
    const { tenant, calls, batches, lines, make, start, end } = await setup('writer-retry', async (ws, real) => {
      if (failures-- > 0) throw new Error('Connection terminated unexpectedly');
      return real.write(ws);
    });
    const w = make({ retryMs: 10 });
    const x = randomUUID();
    const started = start(w, x);
    await until(() => batches.length >= 1, 'a first attempt');
    const ended = end(w, x);
    await Promise.all([started, ended]);
    const retries = lines.filter((l) => l.msg === 'call records could not be written: retrying');
    assert.deepEqual(retries.map((l) => l['attempt']), [1, 2], 'each failed attempt logged');
    assert.ok(lines.some((l) => l.msg === 'call records written after retrying'), 'recovery logged');
    const last = batches.at(-1)!;
    assert.ok(last.length === 1 && last[0]!.start && last[0]!.end, 'the retried start took the end along');
    assert.equal((await calls.get(tenant.id, x)).outcome, 'caller-hangup', 'the record is complete');
    await w.close();
  });

  test('a call the database refuses (its line does not exist) fails alone; the rest of its batch is written', T, async () => {
    const { tenant, calls, lines, make, start } = await setup('writer-refused');
    const w = make();
    const good = [randomUUID(), randomUUID(), randomUUID()];
    const bad = randomUUID();
    const results = await Promise.allSettled([...good.map((id) => start(w, id)), start(w, bad, 'sip-bad', randomUUID())]);
    assert.deepEqual(results.slice(0, 3).map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled'], 'the good calls are written');
    const refused = results[3]!;
    assert.ok(refused.status === 'rejected' && refused.reason instanceof NotFoundError, `the bad one is refused: ${JSON.stringify(refused)}`);
    for (const id of good) assert.equal((await calls.get(tenant.id, id)).id, id);
    await assert.rejects(calls.get(tenant.id, bad), NotFoundError);
    assert.ok(lines.some((l) => l.msg === 'call records batch refused: writing its calls one by one'), 'the split is logged');
    await w.close();
  });

  test('an end for a call never started is NotFound; a start with an id that is not a uuid is refused', T, async () => {
    const { make, end, start } = await setup('writer-unknown');
    const w = make();
    await assert.rejects(end(w, randomUUID()), NotFoundError);
    await assert.rejects(start(w, 'not-a-uuid'), ValidationError);
    await w.close();
  });

  test('close() writes everything still queued, then refuses writes', T, async () => {
    const { tenant, calls, make, start, end } = await setup('writer-close');
    const w = make({ flushMs: 3_600_000 });
    const ids = Array.from({ length: 10 }, () => randomUUID());
    const pending = ids.flatMap((id) => [start(w, id), end(w, id)]);
    assert.equal(w.queued, 10, 'ten calls waiting');
    await w.close();
    await Promise.all(pending);
    for (const id of ids) assert.equal((await calls.get(tenant.id, id)).outcome, 'caller-hangup', 'written on close');
    await assert.rejects(start(w, randomUUID()), /closed/);
  });

  test('close() with the store down: a few attempts, then the records are reported lost and their writes rejected', T, async () => {
    const { make, start, lines, batches } = await setup('writer-down', async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    const w = make({ flushMs: 3_600_000, retryMs: 1, closeAttempts: 3 });
    const x = randomUUID();
    const started = start(w, x);
    await w.close();
    await assert.rejects(started, /unavailable until shutdown/);
    assert.equal(batches.length, 3, 'three attempts');
    const lost = lines.find((l) => l.msg === 'call records lost: the store refused them until shutdown');
    assert.ok(lost && lost.level === 50 && lost['calls'] === 1, `logged as an error with the count: ${JSON.stringify(lost)}`);
  });
});
