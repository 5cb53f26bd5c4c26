/**
 * Recording retention (C16) over a real store and real files: a queue with retentionDays loses
 * its recordings older than that — the WAV and the record, audited — while younger ones and
 * those of a queue without retention stay; a record whose file is already gone still goes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { recordingsRepository } from '../../src/store/repositories/recordings.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { RecordingRetention } from '../../src/acd/live/recording-retention.ts';
import { freshPgliteDataDir } from '../store/pglite-template.ts';

const DAY = 86_400_000;
let dir: string;
let store: Store;
const clock = new ManualClock(0, Date.UTC(2026, 10, 24, 4, 0));

before(async () => {
  dir = await freshPgliteDataDir('surgeline-retention-');
  store = await openStore({ dataDir: dir }, { clock });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('recordings past their queue retention go (file and record, audited); the others stay', async () => {
  const db = store.db;
  const tenant = await tenantsRepository(db, clock).create({ slug: 'retention', name: 'R' });
  const queues = queuesRepository(db, clock);
  await queues.create(tenant.id, { name: 'short', recording: { enabled: true, retentionDays: 30 } }, 'test');
  await queues.create(tenant.id, { name: 'forever', recording: { enabled: true } }, 'test');
  const recordings = recordingsRepository(db, clock);
  const make = async (queue: string, ageDays: number, withFile = true) => {
    const rel = path.join('recordings', 'retention', `${queue}-${ageDays}-${randomUUID()}.wav`);
    if (withFile) {
      mkdirSync(path.join(dir, 'recordings', 'retention'), { recursive: true });
      writeFileSync(path.join(dir, rel), Buffer.alloc(44));
    }
    const r = await recordings.create(tenant.id, { callId: randomUUID(), queue, path: rel, mode: 'stereo', startedAt: new Date(clock.wallNow() - ageDays * DAY), durationMs: 1000 });
    return { id: r.id, file: path.join(dir, rel) };
  };
  const old = await make('short', 31);
  const oldNoFile = await make('short', 45, false);
  const young = await make('short', 29);
  const keep = await make('forever', 400);

  const retention = new RecordingRetention({
    tenantId: tenant.id,
    dataDir: dir,
    clock,
    log: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    queues,
    recordings,
  });
  assert.equal(await retention.sweep(), 2);
  const left = (await recordings.list(tenant.id)).map((r) => r.id).sort();
  assert.deepEqual(left, [young.id, keep.id].sort());
  assert.equal(existsSync(old.file), false, 'the old WAV is deleted');
  assert.equal(existsSync(young.file) && existsSync(keep.file), true, 'the others are kept');
  const audit = await auditRepository(db, clock).list(tenant.id, { subject: `recording:${old.id}` });
  assert.deepEqual(audit.map((e) => [e.actor, e.action]), [['retention', 'recording.expire']]);
  assert.equal((await auditRepository(db, clock).list(tenant.id, { subject: `recording:${oldNoFile.id}` })).length, 1, 'a record without its file goes too');

  clock.advance(2 * DAY);
  assert.equal(await retention.sweep(), 1, 'two days later the 29-day one is past 30 days');
  assert.deepEqual((await recordings.list(tenant.id)).map((r) => r.id), [keep.id]);
  await retention.close();
});
