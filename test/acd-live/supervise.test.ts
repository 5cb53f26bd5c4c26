/**
 * Supervisor listen, whisper and barge (C11) end to end over real SIP and RTP: a caller dials
 * E購網, presses 0, agent 1001 answers; 1002 (on a break, so the queue does not route to it)
 * is the supervisor. Each party sends its own tone — caller 700 Hz, agent 1100 Hz, supervisor
 * 1700 Hz — and each far end is checked for which tones reach it: listen (the supervisor
 * hears both, nobody hears the supervisor), whisper (the agent hears the supervisor, the
 * caller does not), barge (both do). The supervisor's phone is rung with the call's headers
 * and X-Surgeline-Supervise. The supervisor hanging up leaves caller and agent talking; the
 * caller hanging up ends the supervisor's call too. Refusals: a second supervisor, the
 * agent supervising itself, a call not in conversation, a phone that does not answer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import { getHeader } from '../../src/sip/headers.ts';
import { ConflictError, NotFoundError } from '../../src/store/errors.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import { TestPhone } from '../agents/phone.ts';
import { RtpPeer } from '../agents/rtp-peer.ts';
import { goertzel } from '../media/tone-analysis.ts';
import { bridgedCall, legPort, startAcdNode, PASSWORD, sleep, type AcdNode } from './node.ts';

const clock = realClock();
let node: AcdNode;
let agentPhone: TestPhone;
let supPhone: TestPhone;
let callerRtp: RtpPeer;
let agentRtp: RtpPeer;
let supRtp: RtpPeer;
let agentId: string;

before(async () => {
  node = await startAcdNode({ sipPort: 36600, callerPort: 36601, rtpPorts: '36700-36759' });
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, ringTimeoutSeconds: 5, wrapUpSeconds: 1 }, 'test');
  agentPhone = await TestPhone.start({ extension: '1001', port: 36610, rtpPort: 36801 });
  supPhone = await TestPhone.start({ extension: '1002', port: 36611, rtpPort: 36802 });
  callerRtp = await RtpPeer.open(36800);
  agentRtp = await RtpPeer.open(36801);
  supRtp = await RtpPeer.open(36802);
  assert.equal(await agentPhone.register({ registrar: 36600, password: PASSWORD }), 200);
  assert.equal(await supPhone.register({ registrar: 36600, password: PASSWORD }), 200);
  agentId = node.acd.agents.byExt('1001')!.id;
  const supId = node.acd.agents.byExt('1002')!.id;
  await node.until(() => node.acd.agents.get(supId)?.state === 'available', '1002 registered');
  assert.ok(node.acd.agents.apply(supId, { type: 'set-break', reason: 'supervising' }), '1002 takes no queue calls');
});

after(async () => {
  for (const x of [callerRtp, agentRtp, supRtp]) x?.close();
  await agentPhone?.close();
  await supPhone?.close();
  await node?.close();
});

/** Every party sends its tone at once; which tones each far end heard. */
async function whoHears(parties: { rtp: RtpPeer; session: SipSession; hz: number }[]): Promise<Map<RtpPeer, number[]>> {
  for (const p of parties) p.rtp.received.length = 0;
  await Promise.all(parties.map((p) => p.rtp.sendTone(legPort(p.session), p.hz, 800)));
  await sleep(150);
  const out = new Map<RtpPeer, number[]>();
  for (const p of parties) {
    const pcm = p.rtp.heard().subarray(800); // past the first 100 ms (jitter prefill)
    const floor = goertzel(pcm, 2500);
    out.set(p.rtp, parties.map((q) => q.hz).filter((hz) => goertzel(pcm, hz) > 1e-4 && goertzel(pcm, hz) > 20 * (floor + 1e-9)));
  }
  return out;
}

test('listen, whisper, barge: who hears whom; the supervisor hanging up leaves the call as it was', async () => {
  await node.until(() => node.acd.agents.get(agentId)?.state === 'available', '1001 available', 10_000);
  const { session, callId } = await bridgedCall(node, agentPhone, 36800);
  const sup = node.acd.engine.supervision;
  supPhone.behaviour = { kind: 'answer', afterMs: 100 };
  const invitesBefore = supPhone.invites.length;
  const joined = await sup.supervise(callId, '1002', 'listen', 'user:lead');
  assert.deepEqual([joined.extension, joined.mode], ['1002', 'listen']);
  const invite = supPhone.invites[invitesBefore]!.request;
  assert.equal(getHeader(invite, 'X-Surgeline-Supervise'), 'listen');
  assert.equal(getHeader(invite, 'X-Surgeline-Call-Id'), callId, "the supervisor's phone can pop the call");
  const agentSession = agentPhone.sessions.at(-1)!;
  const supSession = supPhone.sessions.at(-1)!;
  const parties = [
    { rtp: callerRtp, session, hz: 700 },
    { rtp: agentRtp, session: agentSession, hz: 1100 },
    { rtp: supRtp, session: supSession, hz: 1700 },
  ];
  const expect = async (what: string, caller: number[], agent: number[], supervisor: number[]): Promise<void> => {
    const got = await whoHears(parties);
    assert.deepEqual({ caller: got.get(callerRtp), agent: got.get(agentRtp), supervisor: got.get(supRtp) }, { caller, agent, supervisor }, what);
  };
  await expect('listen', [1100], [700], [700, 1100]);
  assert.equal((await sup.supervise(callId, '1002', 'whisper', 'user:lead')).mode, 'whisper');
  await expect('whisper', [1100], [700, 1700], [700, 1100]);
  assert.equal((await sup.supervise(callId, '1002', 'barge', 'user:lead')).mode, 'barge');
  await expect('barge', [1100, 1700], [700, 1700], [700, 1100]);

  await assert.rejects(sup.supervise(callId, '1003', 'listen', 'x'), ConflictError, 'one supervisor per call');
  await supSession.bye();
  await node.until(() => sup.get(callId) === undefined, 'the supervisor left');
  const got = await whoHears(parties.slice(0, 2));
  assert.deepEqual([got.get(callerRtp), got.get(agentRtp)], [[1100], [700]], 'caller and agent still talk, to each other only');
  const journey = node.journeyOf(callId).flatMap((e) => (e.kind === 'set' && e.name.startsWith('supervisor.') ? [`${e.name}=${e.value}`] : []));
  assert.deepEqual(journey, ['supervisor.joined=1002 listen by user:lead', 'supervisor.mode=1002 whisper by user:lead', 'supervisor.mode=1002 barge by user:lead', 'supervisor.left=1002']);
  await session.bye();
  await node.until(() => node.acd.engine.isIdle(), 'queue empty');
});

test("the caller hanging up ends the supervisor's call; refusals name the reason", async () => {
  await node.until(() => node.acd.agents.get(agentId)?.state === 'available', '1001 available', 10_000);
  const { session, callId } = await bridgedCall(node, agentPhone, 36800);
  const sup = node.acd.engine.supervision;
  await assert.rejects(sup.supervise(callId, '1001', 'listen', 'x'), ConflictError, 'the agent cannot supervise its own call');
  supPhone.behaviour = { kind: 'reject', status: 486 };
  await assert.rejects(sup.supervise(callId, '1002', 'listen', 'x'), (err: unknown) => err instanceof ConflictError && /did not take the call: busy/.test(err.message));
  supPhone.behaviour = { kind: 'answer', afterMs: 100 };
  await sup.supervise(callId, '1002', 'whisper', 'x');
  const supSession = supPhone.sessions.at(-1)!;
  await session.bye();
  await supSession.ended;
  assert.ok(supSession.isEnded, "the caller's hang-up ended the supervisor's call");
  await node.until(() => sup.get(callId) === undefined && node.acd.engine.isIdle(), 'nothing left');
  await assert.rejects(sup.supervise(callId, '1002', 'listen', 'x'), NotFoundError, 'an ended call cannot be supervised');
  await assert.rejects(sup.stop(callId), NotFoundError);
});
