/**
 * Call recordings over the API on both backends: listed and played (a real stereo WAV in
 * the test's data directory, streamed as audio/wav) by admins and supervisors only — an
 * agent's key gets 403 on every recording route, the recording of its own call included;
 * filtered by call and agent (id or extension); tenants never see each other's. With an
 * HTTP audio store, a node serves a recording that is no longer in its data directory from
 * the store, and a store that fails is 502, not a missing file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../../src/media/wav.ts';
import { recordingsRepository } from '../../src/store/repositories/recordings.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { agentKey, startAcdApi, toneWav } from './acd-harness.ts';
import { httpAudioStore } from '../../src/storage/audio-store.ts';
import { createLogger } from '../../src/log.ts';
import { HttpStoreServer } from '../storage/http-store-server.ts';

eachBackend('API recordings', (ctx) => {
  let api: TestApi;
  let dataDir: string;
  let a: TestTenant;
  let b: TestTenant;
  let key5001: string;
  let recId: string;
  let otherId: string;
  const callId = randomUUID();
  const wav = toneWav(0.25, 2);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'surgeline-api-rec-'));
    api = await startAcdApi(ctx, { dataDir });
    a = await makeTenant(ctx, 'rec-a');
    b = await makeTenant(ctx, 'rec-b');
    const agent = await api.request('POST', '/agents', { key: a.keys.admin, body: { extension: '5001' } });
    key5001 = await agentKey(ctx, a.id, '5001');
    const day = `recordings/${a.id}/2026-11-11`;
    await mkdir(join(dataDir, day), { recursive: true });
    await writeFile(join(dataDir, day, `${callId}.wav`), wav);
    const repo = recordingsRepository(ctx.store().db, ctx.clock);
    const at = ctx.clock.wallNow();
    recId = (await repo.create(a.id, { callId, agentId: agent.body.id, queue: 'egou-orders', path: `${day}/${callId}.wav`, mode: 'stereo', startedAt: new Date(at), durationMs: 250 })).id;
    otherId = (await repo.create(a.id, { callId: randomUUID(), path: `${day}/other.wav`, mode: 'mixed', startedAt: new Date(at - 60_000), durationMs: 1000 })).id;
  });
  after(async () => {
    await api?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('admins and supervisors list recordings (never the file path) and filter by call and agent', async () => {
    const res = await api.request('GET', '/recordings', { key: a.keys.supervisor });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((r: { id: string }) => r.id), [recId, otherId]);
    assert.ok(!('path' in res.body[0]) && !('tenantId' in res.body[0]));
    assert.deepEqual([res.body[0].mode, res.body[0].durationMs, res.body[0].callId], ['stereo', 250, callId]);
    assert.deepEqual((await api.request('GET', `/recordings?call=${callId}`, { key: a.keys.admin })).body.map((r: { id: string }) => r.id), [recId]);
    assert.deepEqual((await api.request('GET', '/recordings?agent=5001', { key: a.keys.admin })).body.map((r: { id: string }) => r.id), [recId]);
    const bad = await api.request('GET', '/recordings?call=nope', { key: a.keys.admin });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^call: /);
    assert.equal((await api.request('GET', `/recordings/${recId}`, { key: a.keys.admin })).body.queue, 'egou-orders');
  });

  test('the stereo WAV is served as audio/wav to admins and supervisors', async () => {
    for (const key of [a.keys.admin, a.keys.supervisor]) {
      const res = await api.request('GET', `/recordings/${recId}/audio`, { key });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'audio/wav');
      assert.ok(Buffer.compare(res.body, wav) === 0, 'the stored file, byte for byte');
      assert.equal(readWav(res.body).channels, 2, 'stereo');
    }
    assert.equal((await api.request('GET', `/recordings/${otherId}/audio`, { key: a.keys.admin })).status, 404, 'file missing');
  });

  test('agents get 403 on every recording route, their own call included', async () => {
    for (const key of [key5001, a.keys.agent]) {
      for (const path of ['/recordings', `/recordings/${recId}`, `/recordings/${recId}/audio`]) {
        const res = await api.request('GET', path, { key });
        assert.equal(res.status, 403, path);
        assert.ok(!Buffer.isBuffer(res.body), 'no audio bytes');
      }
    }
  });

  test("tenants never see each other's recordings", async () => {
    assert.deepEqual((await api.request('GET', '/recordings', { key: b.keys.admin })).body, []);
    assert.equal((await api.request('GET', `/recordings/${recId}`, { key: b.keys.admin })).status, 404);
    assert.equal((await api.request('GET', `/recordings/${recId}/audio`, { key: b.keys.supervisor })).status, 404);
  });

  test('with an HTTP audio store: served from the store once moved there; a failing store is 502', async () => {
    const server = await HttpStoreServer.start();
    const audio = httpAudioStore({ dataDir, baseUrl: server.baseUrl, log: createLogger({ level: 'silent' }), backoffMs: 1 });
    const other = await startAcdApi(ctx, { dataDir, audio });
    try {
      const rec = await recordingsRepository(ctx.store().db, ctx.clock).get(a.id, recId);
      await audio.put(rec.path);
      assert.ok(server.objects.has(`/audio/${rec.path}`), 'moved to the store');
      const res = await other.request('GET', `/recordings/${recId}/audio`, { key: a.keys.supervisor });
      assert.equal(res.status, 200);
      assert.ok(Buffer.compare(res.body, wav) === 0, 'the same bytes, from the store');
      server.failWith = 500;
      const failing = await other.request('GET', `/recordings/${recId}/audio`, { key: a.keys.admin });
      assert.equal(failing.status, 502);
      assert.equal(failing.body.error.code, 'bad_gateway');
    } finally {
      server.failWith = undefined;
      // Back where the other tests expect it (the backends run this file twice).
      const rec = await recordingsRepository(ctx.store().db, ctx.clock).get(a.id, recId);
      await mkdir(join(dataDir, rec.path, '..'), { recursive: true });
      await writeFile(join(dataDir, rec.path), wav);
      await other.close();
      await server.close();
    }
  });
});
