/**
 * The live ACD end to end over real SIP and RTP in one process: a caller dials E購網
 * (4008001111), presses 0 and waits in egou-orders hearing position and EWT; agents 1001 and
 * 1002 are in-process phones registered with digest. Covered: the agent rings with the
 * X-Surgeline headers, answers, the caller's audio reaches the agent through the bridge,
 * hang-up ends both, CDR + recording + agent events written; a phone that does not answer
 * is set away and the call goes back to the queue and to 1002; '#' while waiting stores a
 * keep-place callback BEFORE the confirmation starts and the call ends; the caller hanging
 * up while an agent rings CANCELs the ring and leaves the agent available, nothing stuck.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import { getHeader } from '../../src/sip/headers.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { queueCallsRepository } from '../../src/store/repositories/queue-calls.ts';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { recordingsRepository } from '../../src/store/repositories/recordings.ts';
import { agentEventsRepository } from '../../src/store/repositories/agent-events.ts';
import { TestPhone } from '../agents/phone.ts';
import { RtpPeer } from '../agents/rtp-peer.ts';
import { goertzel, rmsDbfs } from '../media/tone-analysis.ts';
import { legPort, startAcdNode, PASSWORD, sleep, type AcdNode } from './node.ts';

const clock = realClock();
let node: AcdNode;
let p1001: TestPhone;
let p1002: TestPhone;
let agent1001: RtpPeer;
let agent1002: RtpPeer;
let callerRtp: RtpPeer;
let id1001: string;
let id1002: string;

before(async () => {
  node = await startAcdNode({ sipPort: 37100, callerPort: 37101, rtpPorts: '37500-37799' });
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  // Without the demo's comfort message: these tests time the position announcement, not it (comfort.test.ts).
  const { comfortSlot: _, ...announcements } = q.config.announcements;
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, ringTimeoutSeconds: 5, wrapUpSeconds: 1, announcements }, 'test');
  p1001 = await TestPhone.start({ extension: '1001', port: 37110, rtpPort: 37910 });
  p1002 = await TestPhone.start({ extension: '1002', port: 37111, rtpPort: 37911 });
  agent1001 = await RtpPeer.open(37910);
  agent1002 = await RtpPeer.open(37911);
  callerRtp = await RtpPeer.open(37900);
  assert.equal(await p1001.register({ registrar: 37100, password: PASSWORD }), 200, '1001 registers with digest');
  assert.equal(await p1002.register({ registrar: 37100, password: PASSWORD }), 200, '1002 registers with digest');
  id1001 = node.acd.agents.byExt('1001')!.id;
  id1002 = node.acd.agents.byExt('1002')!.id;
  await node.until(() => node.acd.agents.get(id1001)?.state === 'available' && node.acd.agents.get(id1002)?.state === 'available', 'both agents available');
});

after(async () => {
  for (const x of [agent1001, agent1002, callerRtp]) x?.close();
  await p1001?.close();
  await p1002?.close();
  await node?.close();
});

/** Dials E購網, waits for the menu, presses 0 and waits until the call is in the queue. */
async function toQueue(rtpPort = 37900): Promise<{ session: SipSession; callId: string }> {
  const session = await node.dial('4008001111', rtpPort);
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'node' && e.node === 'welcome'), 'the welcome (0 barges in, the menu takes it)');
  await node.press(session, '0');
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'set' && e.name === 'queue.entered'), 'queue entered');
  return { session, callId };
}

const prompts = (callId: string): string[] => node.journeyOf(callId).flatMap((e) => (e.kind === 'prompt' && e.node === 'queue' && e.text ? [e.text] : []));

test('0 → queue: position/EWT heard, 1001 rings with X-Surgeline headers, answers, audio bridged, hang-up ends both, CDR written', async () => {
  p1001.behaviour = { kind: 'answer', afterMs: 3000 }; // inside the 5 s ring timeout
  const { session, callId } = await toQueue();
  await node.until(() => p1001.invites.length === 1, '1001 rings');
  const invite = p1001.invites[0]!.request;
  assert.equal(getHeader(invite, 'X-Surgeline-Call-Id'), callId, 'our call id');
  assert.equal(getHeader(invite, 'X-Surgeline-Caller'), '0912345678', 'the caller number');
  assert.equal(getHeader(invite, 'X-Surgeline-Queue'), 'egou-orders', 'the queue');
  assert.ok(getHeader(invite, 'X-Surgeline-Ivr-Path')?.split('/').includes('menu'), 'the IVR path names the menu');
  await node.until(() => p1001.sessions.length === 1, '1001 answered', 20_000);
  await node.until(() => node.acd.engine.stateOf(callId) === 'bridged', 'bridged');
  const heard = prompts(callId);
  assert.ok(heard.some((t) => t.includes('您目前排在第1位') && t.includes('預計等候時間')), `position and EWT announced: ${JSON.stringify(heard)}`);
  assert.equal(node.acd.agents.get(id1001)?.state, 'on-call', '1001 is on the call');

  // The caller's tone reaches the agent's phone through the bridge.
  agent1001.received.length = 0;
  await callerRtp.sendTone(legPort(session), 1000, 1000);
  await sleep(200);
  const pcm = agent1001.heard();
  assert.ok(pcm.length >= 4000, `the agent received audio (${pcm.length} samples)`);
  assert.ok(rmsDbfs(pcm) > -30 && goertzel(pcm, 1000) > 5 * goertzel(pcm, 600), 'it is the caller\'s 1 kHz tone');

  await session.bye();
  const agentSession = p1001.sessions[0]!;
  await agentSession.ended;
  assert.ok(agentSession.isEnded, 'the caller hanging up ended the agent\'s call');
  await node.until(() => node.acd.engine.isIdle(), 'queue empty');
  await node.until(() => node.acd.agents.get(id1001)?.state === 'available', '1001 back after wrap-up', 10_000);
  const cdrs = queueCallsRepository(node.store.db, clock);
  let cdr = (await cdrs.list(node.tenantId, { callId }))[0];
  for (let i = 0; i < 50 && (cdr?.wrapMs ?? 0) === 0; i++) {
    await sleep(100);
    cdr = (await cdrs.list(node.tenantId, { callId }))[0];
  }
  assert.ok(cdr, 'a queue_calls row');
  assert.equal(cdr.outcome, 'answered');
  assert.equal(cdr.agentId, id1001);
  assert.equal(cdr.offeredCount, 1);
  assert.ok((cdr.waitMs ?? 0) > 0 && (cdr.talkMs ?? 0) > 0, `wait ${cdr.waitMs} and talk ${cdr.talkMs} recorded`);
  assert.ok((cdr.wrapMs ?? 0) > 0, `wrap-up recorded (${cdr.wrapMs} ms)`);
  assert.ok(cdr.announcedEwtMs !== null && cdr.announcedEwtMs >= 0, `the estimated wait told at entry is kept (${cdr.announcedEwtMs} ms)`);
  const recs = await recordingsRepository(node.store.db, clock).list(node.tenantId, { callId });
  assert.equal(recs.length, 1, 'egou-orders records: one recording row');
  assert.equal(recs[0]!.mode, 'stereo');
  await node.acd.agents.flush();
  const states = (await agentEventsRepository(node.store.db, clock).list(node.tenantId, { agentId: id1001 })).map((e) => e.state);
  for (const s of ['available', 'ringing', 'on-call', 'wrap-up']) assert.ok(states.includes(s as never), `agent event ${s} stored: ${states.join(',')}`);
  const live = node.acd.engine.liveFigures('egou-orders');
  assert.equal(live?.waiting, 0, 'nobody waits now');
  assert.equal(live?.serviceLevel.last15m, 1, 'answered within the 30 s target: service level 100 %');
  const journey = node.journeyOf(callId).flatMap((e) => (e.kind === 'set' ? [`${e.name}=${e.value}`] : []));
  assert.deepEqual(journey.filter((j) => j.startsWith('queue.')), ['queue.entered=egou-orders', 'queue.offered=1001', 'queue.answered=1001']);
});

test('1001 does not answer: set away, the call goes back to the front and 1002 takes it; the agent hanging up ends the caller', async () => {
  p1001.behaviour = { kind: 'ring' };
  p1002.behaviour = { kind: 'answer', afterMs: 300 };
  assert.ok(node.acd.agents.apply(id1002, { type: 'set-break', reason: 'lunch' }), '1002 on a break first');
  const invitesBefore = p1001.invites.length;
  const { session, callId } = await toQueue();
  await node.until(() => p1001.invites.length === invitesBefore + 1, '1001 rings');
  // A second caller queues behind while 1001 rings.
  const second = await toQueue(37901);
  await node.until(() => node.acd.agents.get(id1001)?.state === 'break', '1001 rang out', 10_000);
  assert.equal(node.acd.agents.get(id1001)?.breakReason, 'no-answer', '1001 is set away (no-answer)');
  assert.equal(node.acd.engine.stateOf(callId), 'waiting', 'the call waits again');
  assert.ok(node.logs.some((l) => l.msg === 'agent did not take the call: requeued at the front'), 'requeued at the front');
  assert.ok(node.acd.agents.apply(id1002, { type: 'set-available' }), '1002 back');
  await node.until(() => p1002.sessions.length === 1, '1002 answered', 10_000);
  await node.until(() => node.acd.engine.stateOf(callId) === 'bridged', 'bridged to 1002');
  assert.equal(getHeader(p1002.invites[0]!.request, 'X-Surgeline-Call-Id'), callId, 'the requeued call went first, ahead of the later caller');
  assert.equal(node.acd.engine.stateOf(second.callId), 'waiting', 'the later caller still waits');
  await second.session.bye();
  assert.equal(p1001.invites.length, invitesBefore + 1, '1001 was not rung again');
  await p1002.sessions[0]!.bye();
  await session.ended;
  assert.ok(session.isEnded, 'the agent hanging up ended the caller');
  await node.until(() => node.acd.engine.isIdle(), 'queue empty');
  const cdr = (await queueCallsRepository(node.store.db, clock).list(node.tenantId, { callId }))[0];
  assert.equal(cdr?.agentId, id1002);
  assert.equal(cdr?.offeredCount, 2, 'offered twice');
});

test("'#' while waiting: the keep-place callback is stored before the confirmation starts, then the call ends", async () => {
  // Nobody can answer: the caller waits.
  node.acd.agents.apply(id1002, { type: 'set-break', reason: 'meeting' });
  assert.equal(node.acd.agents.get(id1001)?.state, 'break');
  const callbacks = callbacksRepository(node.store.db, clock);
  let rowsAtConfirmation: number | undefined;
  node.prompts.onPrompt = async (text) => {
    if (text.includes('已為您登記回撥')) rowsAtConfirmation = (await callbacks.list(node.tenantId)).length;
  };
  const { session, callId } = await toQueue();
  await node.until(() => prompts(callId).length > 0, 'the position announcement', 20_000);
  assert.ok(prompts(callId)[0]!.includes('按井字鍵'), `the callback offer is made: ${prompts(callId)[0]}`);
  const live = node.acd.engine.liveFigures('egou-orders');
  assert.equal(live?.waiting, 1, 'one caller waiting');
  assert.ok((live?.longestWaitMs ?? 0) > 0 && live?.agents.break === 2, `live figures: ${JSON.stringify(live)}`);
  await node.press(session, '#');
  await session.ended;
  node.prompts.onPrompt = undefined;
  assert.equal(rowsAtConfirmation, 1, 'the callback row existed when the confirmation was about to play');
  const [cb] = await callbacks.list(node.tenantId);
  assert.ok(cb, 'callback stored');
  assert.equal(cb.kind, 'keep-place');
  assert.equal(cb.callerNumber, '0912345678');
  assert.equal(cb.queue, 'egou-orders');
  assert.equal(cb.callId, callId);
  assert.ok(cb.ivrPath.includes('menu') && cb.digits.includes('0'), `IVR path and digits kept: ${cb.ivrPath.join('>')} ${cb.digits}`);
  assert.ok(prompts(callId).some((t) => t.includes('我們會在大約')), 'the caller heard when we call back');
  await node.until(() => node.acd.engine.isIdle(), 'queue empty');
  const cdr = (await queueCallsRepository(node.store.db, clock).list(node.tenantId, { callId }))[0];
  assert.equal(cdr?.outcome, 'callback');
  // The callback keeps its place: a caller who comes next is second in line, not first.
  const next = await toQueue(37901);
  await node.until(() => prompts(next.callId).length > 0, 'the next caller hears the position', 20_000);
  assert.ok(prompts(next.callId)[0]!.includes('您目前排在第2位'), `the held place counts: ${prompts(next.callId)[0]}`);
  await next.session.bye();
  await node.until(() => node.acd.engine.isIdle(), 'queue empty again');
});

test('the caller hangs up while 1001 rings: CANCEL, 1001 available again, nothing stuck', async () => {
  node.acd.agents.apply(id1001, { type: 'set-available' });
  p1001.behaviour = { kind: 'ring' };
  const before = p1001.invites.length;
  const { session, callId } = await toQueue();
  await node.until(() => p1001.invites.length === before + 1, '1001 rings');
  assert.equal(node.acd.agents.get(id1001)?.state, 'ringing');
  await session.bye();
  const invite = p1001.invites[before]!;
  await node.until(() => invite.signal.aborted, 'the ring was CANCELled', 5_000);
  await node.until(() => node.acd.agents.get(id1001)?.state === 'available', '1001 available again');
  await node.until(() => node.acd.engine.isIdle(), 'queue empty');
  const cdr = (await queueCallsRepository(node.store.db, clock).list(node.tenantId, { callId }))[0];
  assert.equal(cdr?.outcome, 'abandoned');
  await node.until(() => node.media.legCount === 0, 'every media leg released');
});
