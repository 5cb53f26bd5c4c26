/**
 * Ringing agents over real SIP and RTP on loopback. A node (UserAgent + AgentPhones +
 * MediaEngine + CallManager) takes a customer's call; agent phones (second UserAgents)
 * register with digest and answer, ring out, or refuse. Checked: the INVITE reaches the
 * registered contact with the X-Surgeline-* headers; answered → caller and agent hear
 * each other through the bridge and a stereo recording (soxi) holds the agent left and
 * the caller right; either side hanging up ends the other; ring timeout, 408/480 →
 * no-answer with CANCEL; 486/603 → busy; the caller aborting while it rings → CANCEL and
 * 'cancelled'; two phones on one extension fork, the first to answer wins.
 * A phone that goes silent mid-call is taken as gone when agentRtpTimeoutMs is set; one that
 * stops answering in-dialog OPTIONS (dead, or rebooted: 481) when agentKeepaliveMs is.
 * SIP ports 36020-36029, RTP 36500-36599 (engine) and 36900-36919 (far ends).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { realClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { hashCredentials } from '../../src/sip/auth/server.ts';
import { AgentPhones } from '../../src/agents/phones.ts';
import { AgentDialer, parseIvrPath, type RingOptions } from '../../src/agents/dialer.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import { MediaEngine } from '../../src/media/engine.ts';
import { CallManager } from '../../src/call/call-manager.ts';
import type { Call } from '../../src/call/call.ts';
import { getHeader, parseNameAddr } from '../../src/sip/headers.ts';
import { decodeUlaw } from '../../src/media/codecs/g711.ts';
import { readWav } from '../../src/media/wav.ts';
import { goertzel } from '../media/tone-analysis.ts';
import { TestPhone, sleep, until } from './phone.ts';
import { RtpPeer } from './rtp-peer.ts';

const PBX = 36020;
const clock = realClock();
const log = createLogger({ level: 'silent' });
let dir: string;
let media: MediaEngine;
let pbx: UserAgent;
let phones: AgentPhones;
let calls: CallManager;
let caller: UserAgent;
let dialer: AgentDialer;
const incoming: Call[] = [];
const closers: (() => unknown)[] = [];

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'surgeline-dialer-'));
  phones = new AgentPhones({
    realm: 'demo',
    clock,
    logger: log,
    credentials: async (ext, realm) => (['1001', '1002', '1003'].includes(ext) ? hashCredentials(ext, realm, 'agent-pw') : undefined),
  });
  media = await MediaEngine.start({ host: '127.0.0.1', portRange: '36500-36599', workers: 1 });
  pbx = await UserAgent.start({ listen: { host: '127.0.0.1', port: PBX }, clock, register: (r, s) => phones.register(r, s) });
  calls = new CallManager({ ua: pbx, media, clock, logger: log, mediaAddress: '127.0.0.1' });
  // The queue would play music here; the test keeps the call open until it is done with it.
  calls.onCall((call) => {
    incoming.push(call);
    return call.ended.then(() => undefined);
  });
  caller = await UserAgent.start({ listen: { host: '127.0.0.1', port: 36021 } });
  dialer = new AgentDialer({ invite: (o) => pbx.invite(o), media, mediaAddress: '127.0.0.1', contacts: (ext) => phones.contacts(ext), log });
});

after(async () => {
  for (const c of closers.reverse()) await c();
  await caller?.close();
  await pbx?.close();
  phones?.close();
  await media?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function phone(extension: string, port: number, rtpPort: number): Promise<TestPhone> {
  const p = await TestPhone.start({ extension, port, rtpPort });
  closers.push(() => p.close());
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw' }), 200, `${extension} registered`);
  return p;
}

/** A customer calls the node; resolves with the node's Call and the customer's session. */
async function customerCall(rtpPort: number): Promise<{ call: Call; session: SipSession }> {
  const n = incoming.length;
  const session = await caller.invite({
    uri: `sip:4008001111@127.0.0.1:${PBX}`,
    from: 'sip:0912345678@127.0.0.1',
    sdp: Buffer.from(`v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rtpPort} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n`),
  });
  await until(() => incoming.length > n, 'the node took the call');
  return { call: incoming[incoming.length - 1]!, session };
}

const portOf = (sdp: Buffer): number => Number(/^m=audio (\d+)/m.exec(sdp.toString())?.[1]);

function ringOpts(call: Call, extra: Partial<RingOptions> = {}): RingOptions {
  return {
    extension: '1001',
    callerLeg: call.legId,
    callerCodec: call.audio.codec.name,
    callId: 'call-0001',
    caller: '0912345678',
    ivrPath: ['welcome', '主選單', 'orders/0'],
    queue: 'egou-orders',
    ringTimeoutMs: 5000,
    ...extra,
  };
}

let p1001: TestPhone;

test('answered: headers identify the call, both hear each other, the stereo recording holds agent left and caller right; the agent hanging up ends the caller', async () => {
  p1001 = await phone('1001', 36022, 36902);
  const agentAudio = await RtpPeer.open(36902);
  const callerAudio = await RtpPeer.open(36900);
  closers.push(() => agentAudio.close(), () => callerAudio.close());
  const { call, session } = await customerCall(36900);

  p1001.behaviour = { kind: 'answer', afterMs: 100 };
  const r = await dialer.ring(ringOpts(call));
  if (r.kind !== 'answered') assert.fail(`expected answered, got ${JSON.stringify(r)}`);
  assert.equal(r.contact, p1001.contact, 'the registered contact answered');
  const invite = p1001.invites.at(-1)!.request;
  assert.equal(getHeader(invite, 'X-Surgeline-Call-Id'), 'call-0001', 'our call id');
  assert.equal(getHeader(invite, 'X-Surgeline-Caller'), '0912345678', 'the caller number');
  assert.deepEqual(parseIvrPath(getHeader(invite, 'X-Surgeline-Ivr-Path') ?? ''), ['welcome', '主選單', 'orders/0'], 'the IVR path round-trips');
  assert.equal(getHeader(invite, 'X-Surgeline-Queue'), 'egou-orders', 'the queue');
  assert.equal(parseNameAddr(getHeader(invite, 'From') ?? '').displayName, '0912345678', 'the phone shows the caller');
  assert.equal(invite.uri, p1001.contact, 'sent to the contact');

  const recording = path.join(dir, 'rec', 'call-0001.wav');
  const connected = dialer.connect({ legId: call.legId, session: call.session }, { legId: r.legId, session: r.session }, { record: { path: recording, mode: 'stereo' } });
  await new Promise((res) => setTimeout(res, 100));
  await Promise.all([callerAudio.sendTone(portOf(call.session.localSdp), 440, 1500), agentAudio.sendTone(portOf(r.session.localSdp), 1000, 1500)]);
  await new Promise((res) => setTimeout(res, 200));

  const agentHeard = agentAudio.heard();
  const callerHeard = callerAudio.heard();
  assert.ok(goertzel(agentHeard, 440) > 20 * goertzel(agentHeard, 1000), 'the agent hears the caller (440 Hz)');
  assert.ok(goertzel(callerHeard, 1000) > 20 * goertzel(callerHeard, 440), 'the caller hears the agent (1 kHz)');

  await p1001.sessions.at(-1)!.bye();
  const result = await connected;
  assert.equal(result.endedBy, 'agent', 'the agent ended it');
  assert.equal((await session.ended).reason, 'remote-bye', 'the caller got our BYE');
  assert.ok(result.talkMs > 1000, `talk time measured (${result.talkMs} ms)`);
  assert.equal(result.recording?.path, recording, 'the recording is finalised with the agent leg');

  assert.equal(execFileSync('soxi', ['-c', recording]).toString().trim(), '2', 'soxi: two channels');
  assert.equal(execFileSync('soxi', ['-r', recording]).toString().trim(), '8000', 'soxi: 8 kHz');
  const wav = readWav(readFileSync(recording));
  assert.equal(wav.format, 'ulaw', 'G.711 as negotiated');
  const left = decodeUlaw(wav.data.filter((_, i) => i % 2 === 0));
  const right = decodeUlaw(wav.data.filter((_, i) => i % 2 === 1));
  assert.ok(goertzel(left, 1000) > 20 * goertzel(left, 440), 'left channel: the agent');
  assert.ok(goertzel(right, 440) > 20 * goertzel(right, 1000), 'right channel: the caller');
  await until(() => media.legCount === 0, 'both legs released');
});

test('the caller hanging up ends the agent (BYE) and frees the agent leg', async () => {
  const { call, session } = await customerCall(36904);
  p1001.behaviour = { kind: 'answer' };
  const r = await dialer.ring(ringOpts(call));
  if (r.kind !== 'answered') assert.fail(`expected answered, got ${JSON.stringify(r)}`);
  const connected = dialer.connect({ legId: call.legId, session: call.session }, { legId: r.legId, session: r.session });
  await new Promise((res) => setTimeout(res, 100));
  await session.bye();
  const result = await connected;
  assert.equal(result.endedBy, 'caller', 'the caller ended it');
  assert.equal(result.recording, undefined, 'nothing recorded without the option');
  assert.equal((await p1001.sessions.at(-1)!.ended).reason, 'remote-bye', 'the agent phone got a BYE');
  await until(() => media.legCount === 0, 'legs released');
});

test('ring timeout: the phone rings out, is CANCELled, the result is no-answer and no leg is left', async () => {
  const { call, session } = await customerCall(36906);
  p1001.behaviour = { kind: 'ring' };
  const r = await dialer.ring(ringOpts(call, { ringTimeoutMs: 400 }));
  assert.equal(r.kind, 'no-answer', `no-answer (${JSON.stringify(r)})`);
  await until(() => p1001.invites.at(-1)!.state === 'cancelled', 'the phone saw the CANCEL');
  assert.equal(media.legCount, 1, 'only the caller leg remains');
  await session.bye();
  await until(() => media.legCount === 0, 'caller leg released');
});

test('refusals: 486 and 603 are busy, 480 and 408 no-answer, 500 failed', async () => {
  const { call, session } = await customerCall(36908);
  for (const [status, kind] of [[486, 'busy'], [603, 'busy'], [480, 'no-answer'], [408, 'no-answer'], [500, 'failed']] as const) {
    p1001.behaviour = { kind: 'reject', status };
    const r = await dialer.ring(ringOpts(call));
    assert.equal(r.kind, kind, `${status} → ${kind} (${JSON.stringify(r)})`);
    assert.equal('status' in r ? r.status : undefined, status, 'the status is reported');
  }
  assert.equal(media.legCount, 1, 'no agent leg left behind');
  await session.bye();
  await until(() => media.legCount === 0, 'caller leg released');
});

test('the caller hangs up while the agent rings: CANCEL, cancelled, nothing left', async () => {
  const { call, session } = await customerCall(36910);
  p1001.behaviour = { kind: 'ring' };
  const ac = new AbortController();
  const n = p1001.invites.length;
  const ringing = dialer.ring(ringOpts(call, { signal: ac.signal, ringTimeoutMs: 10_000 }));
  await until(() => p1001.invites.length > n, 'the phone rings');
  await new Promise((res) => setTimeout(res, 50));
  ac.abort();
  const r = await ringing;
  assert.equal(r.kind, 'cancelled', 'cancelled by the caller');
  await until(() => p1001.invites.at(-1)!.state === 'cancelled', 'the phone saw the CANCEL');
  await session.bye();
  await until(() => media.legCount === 0, 'legs released');
});

test('no registered phone: failed without an INVITE', async () => {
  const { call, session } = await customerCall(36912);
  const r = await dialer.ring(ringOpts(call, { extension: '1003' }));
  assert.equal(r.kind, 'failed', 'no contact');
  await session.bye();
  await until(() => media.legCount === 0, 'legs released');
});

test('two phones on one extension: both ring, the one that answers wins, the other is CANCELled', async () => {
  const desk = await phone('1002', 36023, 36914);
  const mobile = await phone('1002', 36024, 36916);
  desk.behaviour = { kind: 'ring' };
  mobile.behaviour = { kind: 'answer', afterMs: 150 };
  const { call, session } = await customerCall(36918);
  const r = await dialer.ring(ringOpts(call, { extension: '1002' }));
  if (r.kind !== 'answered') assert.fail(`expected answered, got ${JSON.stringify(r)}`);
  assert.equal(r.contact, mobile.contact, 'the phone that answered');
  await until(() => desk.invites[0]?.state === 'cancelled', 'the other phone was CANCELled');
  const connected = dialer.connect({ legId: call.legId, session: call.session }, { legId: r.legId, session: r.session });
  await session.bye();
  assert.equal((await connected).endedBy, 'caller', 'ended by the caller');
  await until(() => media.legCount === 0, 'legs released');
});

test('our signal ends a bridged call: BYE to both, a mixed recording is one 16-bit channel (soxi)', async () => {
  const { call, session } = await customerCall(36919);
  p1001.behaviour = { kind: 'answer' };
  const r = await dialer.ring(ringOpts(call));
  if (r.kind !== 'answered') assert.fail(`expected answered, got ${JSON.stringify(r)}`);
  const ac = new AbortController();
  const recording = path.join(dir, 'rec', 'mixed.wav');
  const connected = dialer.connect({ legId: call.legId, session: call.session }, { legId: r.legId, session: r.session }, { record: { path: recording, mode: 'mixed' }, signal: ac.signal });
  await new Promise((res) => setTimeout(res, 300));
  ac.abort();
  const result = await connected;
  assert.equal(result.endedBy, 'signal', 'ended by us');
  assert.equal((await session.ended).reason, 'remote-bye', 'the caller got a BYE');
  assert.equal((await p1001.sessions.at(-1)!.ended).reason, 'remote-bye', 'the agent got a BYE');
  assert.equal(execFileSync('soxi', ['-c', recording]).toString().trim(), '1', 'soxi: one channel');
  assert.equal(execFileSync('soxi', ['-b', recording]).toString().trim(), '16', 'soxi: 16-bit PCM');
  await until(() => media.legCount === 0, 'legs released');
});

test("agentRtpTimeoutMs: a phone that goes silent mid-call is taken as gone — BYE to both — while one that talks stays", { timeout: 30_000 }, async () => {
  const watchful = new AgentDialer({ invite: (o) => pbx.invite(o), media, mediaAddress: '127.0.0.1', contacts: (ext) => phones.contacts(ext), log, agentRtpTimeoutMs: 1500 });
  const p1003 = await phone('1003', 36025, 36903);
  const agentAudio = await RtpPeer.open(36903);
  closers.push(() => agentAudio.close());
  const { call, session } = await customerCall(36901);
  p1003.behaviour = { kind: 'answer' };
  const r = await watchful.ring(ringOpts(call, { extension: '1003' }));
  if (r.kind !== 'answered') assert.fail(`expected answered, got ${JSON.stringify(r)}`);
  const t0 = performance.now();
  const connected = watchful.connect({ legId: call.legId, session: call.session }, { legId: r.legId, session: r.session });
  let over = false;
  void connected.then(() => (over = true));
  // 2.5 s of talk, longer than the timeout: the call stays up while audio flows.
  await agentAudio.sendTone(portOf(r.session.localSdp), 1000, 2500);
  assert.equal(over, false, 'a phone that sends audio keeps its call');
  const result = await connected;
  const ms = performance.now() - t0;
  assert.equal(result.endedBy, 'agent');
  assert.equal(result.agentSilent, true);
  assert.ok(ms >= 3500 && ms < 15_000, `ended after the audio stopped, not before (${ms.toFixed(0)} ms after the bridge)`);
  assert.equal((await session.ended).reason, 'remote-bye', 'the caller got a BYE');
  assert.equal((await p1003.sessions.at(-1)!.ended).reason, 'remote-bye', "the silent phone's dialog got a BYE too");
  await until(() => media.legCount === 0, 'legs released');
});

test('agentKeepaliveMs: a phone that answers the in-dialog OPTIONS keeps its call; one that dies (no answer) or reboots (481) ends it as the agent', { timeout: 30_000 }, async () => {
  // Our side with T1 = 50 ms: an unanswered OPTIONS times out after 64 × T1 = 3.2 s, not 32 s.
  const quick = await UserAgent.start({ listen: { host: '127.0.0.1', port: 36026 }, clock, timers: { T1: 50 } });
  closers.push(() => quick.close());
  const probing = new AgentDialer({ invite: (o) => quick.invite(o), media, mediaAddress: '127.0.0.1', contacts: (ext) => phones.contacts(ext), log, agentKeepaliveMs: 300 });

  for (const death of ['silent', 'reboot'] as const) {
    const p = await phone('1002', death === 'silent' ? 36027 : 36028, 36905);
    p.behaviour = { kind: 'answer' };
    const { call, session } = await customerCall(death === 'silent' ? 36907 : 36909);
    const r = await probing.ring(ringOpts(call, { extension: '1002' }));
    if (r.kind !== 'answered') assert.fail(`expected answered, got ${JSON.stringify(r)}`);
    const connected = probing.connect({ legId: call.legId, session: call.session }, { legId: r.legId, session: r.session });
    let over = false;
    void connected.then(() => (over = true));
    await sleep(1200); // four probes, each answered 200 by the live phone
    assert.equal(over, false, `${death}: a phone that answers keeps its call`);
    const port = p.port;
    await p.ua.transport.close(); // the phone dies without a word
    let rebooted: UserAgent | undefined;
    if (death === 'reboot') rebooted = await UserAgent.start({ listen: { host: '127.0.0.1', port } }); // knows no dialog: 481
    const t0 = performance.now();
    const result = await connected;
    const ms = performance.now() - t0;
    await rebooted?.close();
    assert.equal(result.endedBy, 'agent', death);
    assert.ok(result.agentGone, `${death}: the reason is kept`);
    if (death === 'reboot') assert.match(result.agentGone, /^481/);
    else assert.match(result.agentGone, /timeout/i);
    assert.ok(ms < (death === 'silent' ? 6000 : 2000), `${death}: ended ${ms.toFixed(0)} ms after the phone went`);
    assert.equal((await session.ended).reason, 'remote-bye', `${death}: the caller got a BYE`);
    await until(() => media.legCount === 0, 'legs released');
  }
});
