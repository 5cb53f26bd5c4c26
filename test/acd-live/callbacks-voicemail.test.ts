/**
 * Callbacks and voicemail on the live ACD, over real SIP/RTP in one process. A message left
 * on E購網 (option 4) is in the store, with its callback task, BEFORE "您的留言已收到" starts.
 * A keep-place callback asked with '#' is worked by the callback worker: the agent (1001, a
 * digest-registered phone) is rung first with the caller's number, then the caller is dialled
 * through the tenant's trunk (a second user agent plays the carrier), they are bridged, and the
 * callback ends 'done'; a caller who does not answer gets a retry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { realClock } from '../../src/clock.ts';
import { getHeader } from '../../src/sip/headers.ts';
import { numberOfUri } from '../../src/call/dialled.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { voicemailsRepository } from '../../src/store/repositories/voicemails.ts';
import { trunksRepository } from '../../src/store/repositories/trunks.ts';
import { TestPhone } from '../agents/phone.ts';
import { RtpPeer } from '../agents/rtp-peer.ts';
import { startAcdNode, PASSWORD, sleep, type AcdNode } from './node.ts';

const clock = realClock();
const CARRIER = 37220;
let node: AcdNode;
let p1001: TestPhone;
let carrier: UserAgent;
let callerRtp: RtpPeer;
let carrierAnswers = true;
const carried: { to: string | undefined; session: SipSession }[] = [];
let id1001: string;

before(async () => {
  node = await startAcdNode({ sipPort: 37200, callerPort: 37201, rtpPorts: '37800-37899' });
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  const allDay = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, open: '00:00', close: '24:00' }];
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, ringTimeoutSeconds: 5, wrapUpSeconds: 1, callbacks: { ...q.config.callbacks, windows: allDay } }, 'test');
  await trunksRepository(node.store.db, clock).set(node.tenantId, { uri: `sip:127.0.0.1:${CARRIER}` }, 'test');
  p1001 = await TestPhone.start({ extension: '1001', port: 37210, rtpPort: 37960 });
  callerRtp = await RtpPeer.open(37950);
  carrier = await UserAgent.start({ listen: { host: '127.0.0.1', port: CARRIER } });
  carrier.onInvite((invite) => {
    if (!carrierAnswers) {
      invite.reject(480, 'Temporarily Unavailable');
      return;
    }
    const sdp = 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 37970 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n';
    void invite.accept(Buffer.from(sdp)).then((session) => carried.push({ to: numberOfUri(invite.request.uri), session }));
  });
  assert.equal(await p1001.register({ registrar: 37200, password: PASSWORD }), 200, '1001 registers with digest');
  id1001 = node.acd.agents.byExt('1001')!.id;
  await node.until(() => node.acd.agents.get(id1001)?.state === 'available', '1001 available');
});

after(async () => {
  callerRtp?.close();
  await carrier?.close();
  await p1001?.close();
  await node?.close();
});

test('a message (E購網 option 4) is stored with its callback before "您的留言已收到" plays', async () => {
  const voicemails = voicemailsRepository(node.store.db, clock);
  const callbacks = callbacksRepository(node.store.db, clock);
  let atConfirmation: { vms: number; cbs: number } | undefined;
  node.prompts.onPrompt = async (text) => {
    if (text.includes('您的留言已收到')) atConfirmation = { vms: (await voicemails.list(node.tenantId)).length, cbs: (await callbacks.list(node.tenantId)).length };
  };
  const session = await node.dial('4008001111', 37950);
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'node' && e.node === 'welcome'), 'the welcome');
  await node.press(session, '4');
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'prompt' && e.node === 'message'), 'the voicemail prompt played', 30_000);
  await sleep(600); // the beep
  const m = /m=audio (\d+)/.exec(session.remoteSdp.toString('utf8'))!;
  await callerRtp.sendTone(Number(m[1]), 800, 1500);
  await node.press(session, '#');
  await session.ended;
  node.prompts.onPrompt = undefined;
  assert.deepEqual(atConfirmation, { vms: 1, cbs: 1 }, 'voicemail and its callback were committed before the confirmation');
  const [vm] = await voicemails.list(node.tenantId);
  assert.ok(vm, 'voicemail row');
  assert.equal(vm.callerNumber, '0912345678');
  assert.equal(vm.callId, callId);
  assert.ok(vm.digits.includes('4') && vm.ivrPath.includes('message'), `digits and path kept: ${vm.digits} ${vm.ivrPath.join('>')}`);
  assert.ok(vm.durationMs >= 1000, `the message has the caller's audio (${vm.durationMs} ms)`);
  assert.ok(existsSync(path.join(node.dataDir, vm.path)), 'the WAV is under the data dir');
  const [cb] = await callbacks.list(node.tenantId);
  assert.equal(cb?.kind, 'voicemail');
  assert.equal(cb?.voicemailId, vm.id);
  assert.equal(cb?.queue, 'egou-orders', "the node's queue works the callback (a callback with no queue could never be worked)");
  await callbacks.cancel(node.tenantId, cb!.id, 'test'); // out of the worker's way
});

test("'#' → keep-place callback; the worker rings agent 1001 first, then dials the caller through the trunk and bridges; done", async () => {
  const callbacks = callbacksRepository(node.store.db, clock);
  node.acd.agents.apply(id1001, { type: 'set-break', reason: 'meeting' });
  const session = await node.dial('4008001111', 37950);
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'node' && e.node === 'welcome'), 'the welcome');
  await node.press(session, '0');
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'set' && e.name === 'queue.entered'), 'queue entered');
  await node.press(session, '#');
  await session.ended;
  const cb = (await callbacks.list(node.tenantId, { state: ['pending', 'due'] }))[0];
  assert.ok(cb && cb.kind === 'keep-place' && cb.callId === callId, 'a keep-place callback is pending');

  // No agent free: the worker gives it back without counting an attempt.
  await node.acd.callbackWorker!.tick();
  assert.equal((await callbacks.get(node.tenantId, cb.id)).attempts, 0, 'no attempt without an agent');

  node.acd.agents.apply(id1001, { type: 'set-available' });
  p1001.behaviour = { kind: 'answer', afterMs: 200 };
  const invites = p1001.invites.length;
  const worked = node.acd.callbackWorker!.tick();
  await node.until(() => carried.length === 1, 'the caller is dialled through the trunk', 20_000);
  assert.equal(p1001.invites.length, invites + 1, 'the agent was rung');
  const agentInvite = p1001.invites[invites]!.request;
  assert.equal(getHeader(agentInvite, 'X-Surgeline-Caller'), '0912345678', 'the agent sees whom they call back');
  assert.equal(getHeader(agentInvite, 'X-Surgeline-Call-Id'), callId);
  assert.equal(carried[0]!.to, '0912345678', 'the trunk is asked for the caller\'s number');
  assert.equal(node.acd.agents.get(id1001)?.state, 'on-call');
  await sleep(300);
  await carried[0]!.session.bye();
  await worked;
  await node.acd.callbackWorker!.drain();
  const done = await callbacks.get(node.tenantId, cb.id);
  assert.equal(done.state, 'done', `the callback is done (${done.result})`);
  assert.equal(done.agentId, id1001);
  assert.ok(p1001.sessions.at(-1)!.isEnded, 'the agent\'s leg ended with the caller\'s');
});

test('the caller does not answer the callback: the agent is freed and the callback is retried later', async () => {
  const callbacks = callbacksRepository(node.store.db, clock);
  const due = await callbacks.create(node.tenantId, {
    lineId: (await callbacks.list(node.tenantId))[0]!.lineId!,
    queue: 'egou-orders',
    callerNumber: '0912000480',
    kind: 'keep-place',
  });
  await node.until(() => node.acd.agents.get(id1001)?.state === 'available', '1001 out of wrap-up', 10_000);
  carrierAnswers = false;
  await node.acd.callbackWorker!.tick();
  await node.acd.callbackWorker!.drain();
  const after = await callbacks.get(node.tenantId, due.id);
  assert.equal(after.state, 'pending', 'back to pending for a later attempt');
  assert.equal(after.attempts, 1, 'one attempt counted');
  assert.ok(after.result?.includes('480'), `the reason is kept: ${after.result}`);
  assert.ok(after.nextAttemptAt && after.nextAttemptAt.getTime() > Date.now() + 60_000, 'retried after the queue\'s spacing');
  assert.equal(node.acd.agents.get(id1001)?.state, 'wrap-up', 'the agent was released (wrap-up), not stuck on a call');
});
