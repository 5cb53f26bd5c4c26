/**
 * Pause for payment data (C16) end to end over real SIP and RTP: a caller dials E購網, presses
 * 0, agent 1001 (an in-process phone registered with digest) answers, the queue records in
 * stereo. The caller sends a 1 kHz tone, the recording is paused, the tone goes on (the
 * "card number"), the recording is resumed, the tone goes on, the caller hangs up. The WAV
 * must hold the tone before and after and digital silence in both channels for the paused
 * stretch, which is stored with the recording row; the journey names who paused it. Pausing
 * a call not in conversation is NotFoundError; a queue that records nothing is ConflictError.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { realClock } from '../../src/clock.ts';
import { readWav } from '../../src/media/wav.ts';
import { ULAW_DECODE } from '../../src/media/codecs/g711.ts';
import { ConflictError, NotFoundError } from '../../src/store/errors.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { recordingsRepository } from '../../src/store/repositories/recordings.ts';
import { TestPhone } from '../agents/phone.ts';
import { RtpPeer } from '../agents/rtp-peer.ts';
import { goertzel, rmsDbfs } from '../media/tone-analysis.ts';
import { bridgedCall, legPort, startAcdNode, PASSWORD, sleep, type AcdNode } from './node.ts';

const clock = realClock();
let node: AcdNode;
let phone: TestPhone;
let callerRtp: RtpPeer;
let agentRtp: RtpPeer;
let agentId: string;

before(async () => {
  node = await startAcdNode({ sipPort: 37300, callerPort: 37301, rtpPorts: '37400-37459' });
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  assert.equal(q.config.recording.enabled, true, 'the demo orders queue records');
  assert.equal(q.config.recording.mode, 'stereo');
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, ringTimeoutSeconds: 5, wrapUpSeconds: 1 }, 'test');
  phone = await TestPhone.start({ extension: '1001', port: 37310, rtpPort: 37461 });
  agentRtp = await RtpPeer.open(37461);
  callerRtp = await RtpPeer.open(37460);
  assert.equal(await phone.register({ registrar: 37300, password: PASSWORD }), 200, '1001 registers with digest');
  agentId = node.acd.agents.byExt('1001')!.id;
  await node.until(() => node.acd.agents.get(agentId)?.state === 'available', '1001 available');
});

after(async () => {
  for (const x of [agentRtp, callerRtp]) x?.close();
  await phone?.close();
  await node?.close();
});

/** One channel of a stereo µ-law WAV between two times, as 16-bit samples. */
function channel(data: Uint8Array, ch: 0 | 1, fromMs: number, toMs: number): Int16Array {
  const from = Math.max(0, Math.round(fromMs * 8));
  const to = Math.min(data.length / 2, Math.round(toMs * 8));
  const out = new Int16Array(Math.max(0, to - from));
  for (let i = from; i < to; i++) out[i - from] = ULAW_DECODE[data[2 * i + ch]!]!;
  return out;
}

test('paused stretch: silence in both channels of the WAV, stored with the recording; the tone is there before and after', async () => {
  const { session, callId } = await bridgedCall(node, phone, 37460);
  const conversations = node.acd.engine.conversations;
  // The recording starts a moment after the bridge: wait until pausing is possible.
  let paused: Awaited<ReturnType<typeof conversations.pauseRecording>> | undefined;
  await callerRtp.sendTone(legPort(session), 1000, 800);
  for (let i = 0; i < 50 && !paused; i++) {
    paused = await conversations.pauseRecording(callId, true, 'user:supervisor-test').catch((err: unknown) => {
      if (err instanceof ConflictError) return undefined;
      throw err;
    });
    if (!paused) await sleep(50);
  }
  assert.ok(paused, 'the recording could be paused');
  assert.equal(paused.changed, true);
  assert.equal((await conversations.pauseRecording(callId, true, 'user:supervisor-test')).changed, false, 'pausing again changes nothing');
  await callerRtp.sendTone(legPort(session), 1000, 1000); // the card number
  const resumed = await conversations.pauseRecording(callId, false, 'user:supervisor-test');
  assert.equal(resumed.changed, true);
  assert.ok(resumed.atMs - paused.atMs >= 900, `paused for the whole tone (${paused.atMs}–${resumed.atMs} ms)`);
  await callerRtp.sendTone(legPort(session), 1000, 800);
  await sleep(200);
  await session.bye();
  await node.until(() => node.acd.engine.isIdle(), 'queue empty');
  await assert.rejects(conversations.pauseRecording(callId, true, 'x'), NotFoundError, 'an ended call is not in conversation');

  const recordings = recordingsRepository(node.store.db, clock);
  let rec = (await recordings.list(node.tenantId, { callId }))[0];
  for (let i = 0; i < 50 && !rec; i++) {
    await sleep(100);
    rec = (await recordings.list(node.tenantId, { callId }))[0];
  }
  assert.ok(rec, 'a recording row');
  assert.deepEqual(rec.pauses, [{ startMs: paused.atMs, endMs: resumed.atMs }], 'the paused stretch is stored with the recording');
  const journey = node.journeyOf(callId).flatMap((e) => (e.kind === 'set' && e.name.startsWith('recording.') ? [`${e.name}=${e.value}`] : []));
  assert.equal(journey.length, 2, `paused and resumed in the journey: ${journey.join(', ')}`);
  assert.match(journey[0]!, /^recording\.paused=user:supervisor-test at /);
  assert.match(journey[1]!, /^recording\.resumed=user:supervisor-test at /);

  const wav = readWav(await readFile(path.join(node.dataDir, rec.path)));
  assert.equal(wav.channels, 2);
  assert.equal(wav.format, 'ulaw');
  const { startMs, endMs } = rec.pauses[0]!;
  for (const ch of [0, 1] as const) {
    const gap = channel(wav.data, ch, startMs, endMs);
    assert.ok(gap.length >= 7000, `the gap is ${gap.length} samples`);
    assert.ok(gap.every((s) => Math.abs(s) <= 8), `channel ${ch} is silent while paused`);
  }
  // The caller's 1 kHz tone is recorded before the pause and after it (in whichever channel holds the caller).
  const louder = (fromMs: number, toMs: number): Int16Array => {
    const [a, b] = [channel(wav.data, 0, fromMs, toMs), channel(wav.data, 1, fromMs, toMs)];
    return rmsDbfs(a) >= rmsDbfs(b) ? a : b;
  };
  for (const [what, pcm] of [['before', louder(Math.max(0, startMs - 500), startMs)], ['after', louder(endMs, endMs + 500)]] as const) {
    assert.ok(rmsDbfs(pcm) > -30 && goertzel(pcm, 1000) > 5 * goertzel(pcm, 600), `the tone ${what} the pause is recorded (${rmsDbfs(pcm).toFixed(1)} dBFS)`);
  }
});

test('a queue that records nothing: pausing is a conflict, not a silent success', async () => {
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, recording: { ...q.config.recording, enabled: false } }, 'test');
  await node.acd.engine.refresh();
  await node.until(() => node.acd.agents.get(agentId)?.state === 'available', '1001 available after wrap-up', 10_000);
  const { session, callId } = await bridgedCall(node, phone, 37460);
  await assert.rejects(node.acd.engine.conversations.pauseRecording(callId, true, 'x'), (err: unknown) => err instanceof ConflictError && /not recorded/.test(err.message));
  await session.bye();
  await node.until(() => node.acd.engine.isIdle(), 'queue empty');
  await assert.rejects(node.acd.engine.conversations.pauseRecording('00000000-0000-4000-8000-000000000000', true, 'x'), NotFoundError);
});
