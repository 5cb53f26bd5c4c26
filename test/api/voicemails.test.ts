/**
 * Voicemails over the API on both backends: listed with the caller's number, time, IVR path
 * and digits (never the file path); the WAV — a real file written in the test's data
 * directory — streamed as audio/wav to admins and supervisors only; assigned to an agent
 * by extension (whose key then sees it) and marked done; a missing file is 404, a node
 * without a data directory 503; tenants never see each other's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../../src/media/wav.ts';
import { voicemailsRepository, type VoicemailsRepository } from '../../src/store/repositories/voicemails.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { agentKey, startAcdApi, toneWav } from './acd-harness.ts';

eachBackend('API voicemails', (ctx) => {
  let api: TestApi;
  let noDir: TestApi;
  let dataDir: string;
  let a: TestTenant;
  let b: TestTenant;
  let repo: VoicemailsRepository;
  let key4001: string;
  let vmId: string;
  let lostId: string;
  const wav = toneWav();

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'surgeline-api-vm-'));
    api = await startAcdApi(ctx, { dataDir });
    noDir = await startAcdApi(ctx);
    a = await makeTenant(ctx, 'vm-a');
    b = await makeTenant(ctx, 'vm-b');
    repo = voicemailsRepository(ctx.store().db, ctx.clock);
    const number = String(400500000 + (process.pid % 100000) * 10 + (ctx.kind === 'postgres' ? 5 : 0));
    const line = await api.request('POST', '/lines', { key: a.keys.admin, body: { name: 'sk', timeZone: 'Asia/Taipei', numbers: [number] } });
    assert.equal(line.status, 201);
    assert.equal((await api.request('POST', '/agents', { key: a.keys.admin, body: { extension: '4001' } })).status, 201);
    key4001 = await agentKey(ctx, a.id, '4001');
    const rel = `voicemails/${a.id}/2026-11-11/message-1.wav`;
    await mkdir(join(dataDir, `voicemails/${a.id}/2026-11-11`), { recursive: true });
    await writeFile(join(dataDir, rel), wav);
    const base = { lineId: line.body.id, callerNumber: '0912345678', recordedAt: new Date(ctx.clock.wallNow()), durationMs: 500, ivrPath: ['welcome', 'menu', 'vm'], digits: '3' };
    vmId = (await repo.create(a.id, { ...base, path: rel })).id;
    lostId = (await repo.create(a.id, { ...base, path: `voicemails/${a.id}/2026-11-11/gone.wav`, recordedAt: new Date(ctx.clock.wallNow() - 60_000) })).id;
  });
  after(async () => {
    await api?.close();
    await noDir?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('voicemails are listed with number, time, IVR path and digits, never the file path', async () => {
    const res = await api.request('GET', '/voicemails', { key: a.keys.supervisor });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((v: { id: string }) => v.id), [vmId, lostId]);
    const v = res.body[0];
    assert.deepEqual([v.callerNumber, v.durationMs, v.digits, v.state], ['0912345678', 500, '3', 'new']);
    assert.deepEqual(v.ivrPath, ['welcome', 'menu', 'vm']);
    assert.ok(!('path' in v) && !('tenantId' in v));
    assert.equal((await api.request('GET', `/voicemails/${vmId}`, { key: a.keys.admin })).body.callerNumber, '0912345678');
    const bad = await api.request('GET', '/voicemails?state=heard', { key: a.keys.admin });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^state: /);
  });

  test('the WAV is served as audio/wav to admins and supervisors, byte for byte', async () => {
    for (const key of [a.keys.admin, a.keys.supervisor]) {
      const res = await api.request('GET', `/voicemails/${vmId}/audio`, { key });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'audio/wav');
      assert.ok(Buffer.compare(res.body, wav) === 0, 'the stored file');
      const decoded = readWav(res.body);
      assert.deepEqual([decoded.sampleRate, decoded.channels, decoded.pcm.length], [8000, 1, 4000]);
    }
    const missing = await api.request('GET', `/voicemails/${lostId}/audio`, { key: a.keys.admin });
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /audio file is missing/);
    assert.equal((await noDir.request('GET', `/voicemails/${vmId}/audio`, { key: a.keys.admin })).status, 503);
  });

  test("assigned to an agent by extension, the agent's key sees it but still may not play it", async () => {
    assert.deepEqual((await api.request('GET', '/voicemails', { key: key4001 })).body, [], 'nothing assigned yet');
    assert.equal((await api.request('GET', `/voicemails/${vmId}`, { key: key4001 })).status, 404);
    const assigned = await api.request('PATCH', `/voicemails/${vmId}`, { key: a.keys.supervisor, body: { assignedTo: '4001' } });
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    assert.equal(assigned.body.state, 'assigned');
    const mine = await api.request('GET', '/voicemails', { key: key4001 });
    assert.deepEqual(mine.body.map((v: { id: string }) => v.id), [vmId]);
    assert.equal((await api.request('GET', `/voicemails/${vmId}`, { key: key4001 })).status, 200);
    const audio = await api.request('GET', `/voicemails/${vmId}/audio`, { key: key4001 });
    assert.equal(audio.status, 403, 'audio is for admins and supervisors');
    assert.equal((await api.request('PATCH', `/voicemails/${vmId}`, { key: key4001, body: { state: 'done' } })).status, 403);
    const done = await api.request('PATCH', `/voicemails/${vmId}`, { key: a.keys.admin, body: { state: 'done' } });
    assert.equal(done.body.state, 'done');
    const nobody = await api.request('PATCH', `/voicemails/${vmId}`, { key: a.keys.admin, body: { assignedTo: '4999' } });
    assert.equal(nobody.status, 404);
    const bad = await api.request('PATCH', `/voicemails/${vmId}`, { key: a.keys.admin, body: { state: 'new' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^state: /);
  });

  test("tenants never see each other's voicemails or their audio", async () => {
    assert.deepEqual((await api.request('GET', '/voicemails', { key: b.keys.admin })).body, []);
    assert.equal((await api.request('GET', `/voicemails/${vmId}`, { key: b.keys.admin })).status, 404);
    assert.equal((await api.request('GET', `/voicemails/${vmId}/audio`, { key: b.keys.admin })).status, 404);
    assert.equal((await api.request('PATCH', `/voicemails/${vmId}`, { key: b.keys.admin, body: { state: 'done' } })).status, 404);
  });
});
