/**
 * POST /calls/{id}/recording/pause|resume over the API on both backends: the route drives the
 * real Conversations registry (src/acd/live/conversations.ts) whose recording is a real
 * WavRecorder, so the answer's atMs and the file's paused stretch come from the recorder.
 * Supervisors pause any call in conversation; an agent key only its own (403 otherwise);
 * pausing twice is `changed: false`; each change is audited; a call not in conversation is
 * 404, a call its queue does not record 409, a node without the queue runtime 503.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conversations } from '../../src/acd/live/conversations.ts';
import type { LegId } from '../../src/media/engine.ts';
import { WavRecorder } from '../../src/media/recorder.ts';
import { NotFoundError } from '../../src/store/errors.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { agentKey, LiveAgents, startAcdApi } from './acd-harness.ts';

eachBackend('API recording pause and resume', (ctx) => {
  let api: TestApi;
  let bare: TestApi;
  let dir: string;
  let t: TestTenant;
  let other: TestTenant;
  let rec: WavRecorder;
  let key5001: string;
  let key5002: string;
  const recorded = randomUUID();
  const unrecorded = randomUUID();
  const live = new LiveAgents(() => ctx.clock.wallNow());
  const journey: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'surgeline-api-pause-'));
    rec = await WavRecorder.open(join(dir, 'call.wav'), 'stereo', 'PCMU');
    const frame = new Uint8Array(160).fill(0x10);
    for (let i = 0; i < 50; i++) rec.push(frame, 0, frame, 0, 'PCMU'); // one second recorded so far
    const recorders = new Map<string, WavRecorder>([['leg-1', rec]]);
    const conversations = new Conversations({
      async pauseRecording(legId, paused) {
        const r = recorders.get(legId);
        if (!r) throw Object.assign(new Error(`leg ${legId} is not recording`), { code: 'NOT_RECORDING' });
        return { changed: r.setPaused(paused), atMs: r.durationMs };
      },
    });
    t = await makeTenant(ctx, 'pause');
    other = await makeTenant(ctx, 'pause-other');
    const ids: Record<string, string> = {};
    const agents = agentsRepository(ctx.store().db, ctx.clock);
    for (const ext of ['5001', '5002']) ids[ext] = (await agents.create(t.id, { extension: ext }, 'test')).id;
    key5001 = await agentKey(ctx, t.id, '5001');
    key5002 = await agentKey(ctx, t.id, '5002');
    const note = (n: string, v: string): void => void journey.push(`${n}=${v}`);
    const call = { callerLegId: 'leg-0' as LegId, callerCodec: 'PCMU' as const, callerNumber: '0912345678', ivrPath: ['menu'], ended: new AbortController().signal, note };
    conversations.add({ ...call, callId: recorded, queue: 'egou-orders', agentId: ids['5001']!, agentExtension: '5001', legId: 'leg-1' as LegId, recorded: true });
    conversations.add({ ...call, callId: unrecorded, queue: 'sk-general', agentId: ids['5002']!, agentExtension: '5002', legId: 'leg-2' as LegId, recorded: false });
    const serves = (tenantId: string): boolean => tenantId === t.id;
    api = await startAcdApi(ctx, {
      acd: {
        ...live.acd,
        conversation: (tenantId, callId) => (serves(tenantId) ? conversations.get(callId) : undefined),
        pauseRecording: (tenantId, callId, paused, actor) => (serves(tenantId) ? conversations.pauseRecording(callId, paused, actor) : Promise.reject(new NotFoundError('call in conversation', callId))),
      },
    });
    bare = await startAcdApi(ctx);
  });
  after(async () => {
    await api?.close();
    await bare?.close();
    await rec?.close().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a supervisor pauses and resumes; twice is no change; both changes audited and in the journey; the file holds the stretch', async () => {
    const p = await api.request('POST', `/calls/${recorded}/recording/pause`, { key: t.keys.supervisor });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.deepEqual(p.body, { callId: recorded, paused: true, changed: true, atMs: 1000 });
    const again = await api.request('POST', `/calls/${recorded}/recording/pause`, { key: t.keys.admin });
    assert.deepEqual(again.body, { callId: recorded, paused: true, changed: false, atMs: 1000 });
    const frame = new Uint8Array(160).fill(0x10);
    for (let i = 0; i < 25; i++) rec.push(frame, 0, frame, 0, 'PCMU'); // half a second of card number
    const r = await api.request('POST', `/calls/${recorded}/recording/resume`, { key: t.keys.supervisor });
    assert.deepEqual(r.body, { callId: recorded, paused: false, changed: true, atMs: 1500 });
    assert.deepEqual(rec.pauses, [{ startMs: 1000, endMs: 1500 }]);
    assert.equal(journey.length, 2);
    assert.match(journey[0]!, /^recording\.paused=key:.* at 1\.0 s$/);
    assert.match(journey[1]!, /^recording\.resumed=key:.* at 1\.5 s$/);
    const audit = await api.request('GET', `/audit?subject=call:${recorded}`, { key: t.keys.admin });
    assert.deepEqual(audit.body.map((e: { action: string }) => e.action).sort(), ['recording.pause', 'recording.resume'], 'two changes audited, the no-op not');
  });

  test("an agent key pauses its own call only; another agent's call is 403", async () => {
    const own = await api.request('POST', `/calls/${recorded}/recording/pause`, { key: key5001 });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.changed, true);
    const notMine = await api.request('POST', `/calls/${recorded}/recording/resume`, { key: key5002 });
    assert.equal(notMine.status, 403);
    assert.match(notMine.body.error.message, /5002 is not on call/);
    assert.equal((await api.request('POST', `/calls/${recorded}/recording/resume`, { key: key5001 })).body.changed, true);
  });

  test('not in conversation 404, not recorded 409, another tenant 404, no runtime 503, no key 401', async () => {
    const missing = await api.request('POST', `/calls/${randomUUID()}/recording/pause`, { key: t.keys.supervisor });
    assert.equal(missing.status, 404);
    const notRecorded = await api.request('POST', `/calls/${unrecorded}/recording/pause`, { key: t.keys.supervisor });
    assert.equal(notRecorded.status, 409);
    assert.match(notRecorded.body.error.message, /not recorded/);
    assert.equal((await api.request('POST', `/calls/${recorded}/recording/pause`, { key: other.keys.supervisor })).status, 404, "another tenant's call is not found");
    assert.equal((await bare.request('POST', `/calls/${recorded}/recording/pause`, { key: t.keys.supervisor })).status, 503);
    assert.equal((await api.request('POST', `/calls/${recorded}/recording/pause`)).status, 401);
  });
});
