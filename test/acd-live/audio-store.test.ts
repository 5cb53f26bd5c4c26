/**
 * Pluggable audio storage on the live ACD (issue 4 §6), over real SIP/RTP: with an HTTP audio
 * store configured, a recorded call (E購網 orders records in stereo) and a voicemail (option
 * 4) each end up in the store under the key their row keeps, as a complete WAV, and leave no
 * copy in the data directory; the store reads them back. The voicemail is in the store only
 * after its row: "您的留言已收到" never waits for the upload.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { realClock } from '../../src/clock.ts';
import { readWav } from '../../src/media/wav.ts';
import { createLogger } from '../../src/log.ts';
import { httpAudioStore, type AudioStore } from '../../src/storage/audio-store.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { recordingsRepository } from '../../src/store/repositories/recordings.ts';
import { voicemailsRepository } from '../../src/store/repositories/voicemails.ts';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { TestPhone } from '../agents/phone.ts';
import { RtpPeer } from '../agents/rtp-peer.ts';
import { HttpStoreServer } from '../storage/http-store-server.ts';
import { bridgedCall, legPort, startAcdNode, PASSWORD, sleep, type AcdNode } from './node.ts';

const clock = realClock();
let node: AcdNode;
let phone: TestPhone;
let callerRtp: RtpPeer;
let server: HttpStoreServer;
let audio: AudioStore;

before(async () => {
  server = await HttpStoreServer.start();
  node = await startAcdNode({
    sipPort: 36800,
    callerPort: 36801,
    rtpPorts: '36810-36869',
    audio: (dataDir) => (audio = httpAudioStore({ dataDir, baseUrl: server.baseUrl, log: createLogger({ level: 'silent' }), authorization: 'Bearer t' })),
  });
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, ringTimeoutSeconds: 5, wrapUpSeconds: 1 }, 'test');
  phone = await TestPhone.start({ extension: '1001', port: 36802, rtpPort: 36871 });
  callerRtp = await RtpPeer.open(36870);
  assert.equal(await phone.register({ registrar: 36800, password: PASSWORD }), 200);
  const id = node.acd.agents.byExt('1001')!.id;
  await node.until(() => node.acd.agents.get(id)?.state === 'available', '1001 available');
});

after(async () => {
  callerRtp?.close();
  await phone?.close();
  await node?.close();
  await server?.close();
});

test('a recorded call: the WAV is uploaded under its row key once the call ends, and no copy stays behind', async () => {
  const { session, callId } = await bridgedCall(node, phone, 36870);
  await callerRtp.sendTone(legPort(session), 1000, 1000);
  await session.bye();
  const recordings = recordingsRepository(node.store.db, clock);
  let row: Awaited<ReturnType<typeof recordings.list>>[number] | undefined;
  await node.until(() => {
    void recordings.list(node.tenantId).then((rows) => (row = rows.find((r) => r.callId === callId)));
    return row !== undefined && server.objects.has(`/audio/${row.path}`);
  }, 'the recording in the store', 15_000);
  const key = row!.path;
  const wav = readWav(server.objects.get(`/audio/${key}`)!);
  assert.equal(wav.channels, 2, 'the stereo recording');
  const ms = (wav.data.length / 2 / 8) | 0;
  assert.ok(Math.abs(ms - row!.durationMs) <= 100 && ms > 500, `the whole recording: ${ms} ms of audio, row says ${row!.durationMs} ms`);
  // The store has the bytes when its PUT ends; the local copy goes once our side has the 201.
  await node.until(() => !existsSync(path.join(node.dataDir, key)), 'the data directory copy gone after the 201', 5000);
  assert.ok(server.requests.every((r) => r.authorization === 'Bearer t'));
  const back = await audio.get(key);
  assert.deepEqual(await buffer(back!.stream), server.objects.get(`/audio/${key}`));
});

test('a voicemail: stored with its row before the confirmation, then moved to the store', async () => {
  const voicemails = voicemailsRepository(node.store.db, clock);
  const session = await node.dial('4008001111', 36870);
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'node' && e.node === 'welcome'), 'the welcome');
  await node.press(session, '4');
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'prompt' && e.node === 'message'), 'the voicemail prompt', 30_000);
  await sleep(600);
  await callerRtp.sendTone(legPort(session), 800, 1500);
  await node.press(session, '#');
  await session.ended;
  const vm = (await voicemails.list(node.tenantId)).find((v) => v.callId === callId);
  assert.ok(vm, 'the voicemail row');
  await node.until(() => server.objects.has(`/audio/${vm.path}`), 'the voicemail in the store', 15_000);
  const wav = readWav(server.objects.get(`/audio/${vm.path}`)!);
  assert.ok(wav.data.length >= 8000, 'a second and more of the message');
  await node.until(() => !existsSync(path.join(node.dataDir, vm.path)), 'the data directory copy gone after the 201', 5000);
  for (const cb of await callbacksRepository(node.store.db, clock).list(node.tenantId)) await callbacksRepository(node.store.db, clock).cancel(node.tenantId, cb.id, 'test');
});
