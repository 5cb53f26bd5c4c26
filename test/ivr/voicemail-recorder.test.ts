/**
 * Voicemail recording over a real call on loopback: a caller (our UAC) dials a node whose
 * call manager answers and runs recordVoicemail; the caller sends a 440 Hz tone as PCMU
 * RTP and presses keys as SIP INFO. The message ends on '#', on maxSeconds or on the
 * caller's BYE; the file must be a valid WAV per sox's soxi and hold the caller's tone.
 * SIP ports 36400-36401, RTP 36950-36999 (TEL4's ranges; the agents tests use 36900-36949).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { realClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { MediaEngine } from '../../src/media/engine.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { CallManager } from '../../src/call/call-manager.ts';
import type { Call } from '../../src/call/call.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import { encodeUlaw, decodeUlaw } from '../../src/media/codecs/g711.ts';
import { beep } from '../../src/media/tones.ts';
import { readWav } from '../../src/media/wav.ts';
import { recordVoicemail, type VoicemailOptions, type VoicemailResult } from '../../src/ivr/voicemail-recorder.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CALLER_RTP = 36999;

const dir = mkdtempSync(path.join(tmpdir(), 'surgeline-vm-'));
let media: MediaEngine;
let server: UserAgent;
let caller: UserAgent;
let calls: CallManager;
let rtp: Socket;
const received: Buffer[] = [];
let next: { opts: VoicemailOptions; done: (r: Promise<VoicemailResult>) => void } | undefined;

function tone(hz: number, ms: number, amplitude: number): Buffer {
  const n = (ms * 8000) / 1000;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return encodeUlaw(pcm);
}

const BEEP = beep('PCMU'); // src/media/tones.ts: 1 kHz, 300 ms
const VOICE = tone(440, 20, 6000); // one 20 ms frame, whole periods of 440 Hz are not needed for RMS

before(async () => {
  media = await MediaEngine.start({ host: '127.0.0.1', portRange: '36950-36989', workers: 1 });
  server = await UserAgent.start({ listen: { host: '127.0.0.1', port: 36400 } });
  caller = await UserAgent.start({ listen: { host: '127.0.0.1', port: 36401 } });
  calls = new CallManager({ ua: server, media, clock: realClock(), logger: silentLogger(), mediaAddress: '127.0.0.1' });
  calls.onCall((call: Call) => {
    const n = next;
    next = undefined;
    assert.ok(n, 'a test is waiting for this call');
    n.done(recordVoicemail(media, call, n.opts));
  });
  rtp = createSocket('udp4');
  rtp.on('message', (m) => received.push(m));
  await new Promise<void>((r) => rtp.bind(CALLER_RTP, '127.0.0.1', () => r()));
});

after(async () => {
  rtp.close();
  await caller.close();
  await server.close();
  await media.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Dials, starts sending the caller's "voice" (PCMU RTP every 20 ms) to the leg; returns the session and the recorder's result. */
async function dial(opts: VoicemailOptions): Promise<{ session: SipSession; result: Promise<VoicemailResult>; stop: () => void }> {
  let result!: Promise<VoicemailResult>;
  const got = new Promise<void>((r) => (next = { opts, done: (p) => ((result = p), r()) }));
  const session = await caller.invite({
    uri: 'sip:4000000009@127.0.0.1:36400',
    from: 'sip:0912345678@127.0.0.1',
    sdp: Buffer.from(`v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${CALLER_RTP} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n`),
  });
  await got;
  const port = Number(/m=audio (\d+)/.exec(session.remoteSdp.toString())![1]);
  let seq = 0;
  const timer = setInterval(() => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = 0;
    h.writeUInt16BE(seq & 0xffff, 2);
    h.writeUInt32BE((seq * 160) >>> 0, 4);
    h.writeUInt32BE(0x5eed, 8);
    seq++;
    rtp.send(Buffer.concat([h, VOICE]), port, '127.0.0.1');
  }, 20);
  return { session, result, stop: () => clearInterval(timer) };
}

async function press(session: SipSession, digit: string): Promise<void> {
  const res = await session.request('INFO', {
    headers: [{ name: 'Content-Type', value: 'application/dtmf-relay' }],
    body: Buffer.from(`Signal=${digit}\r\nDuration=160\r\n`),
  });
  assert.equal(res.status, 200, 'INFO accepted');
}

function soxi(file: string, flag: string): string {
  return execFileSync('soxi', [flag, file], { encoding: 'utf8' }).trim();
}

function rms(pcm: Int16Array): number {
  let s = 0;
  for (const v of pcm) s += v * v;
  return Math.sqrt(s / Math.max(1, pcm.length));
}

test("'#' ends the message: a valid 8 kHz mono WAV holding what the caller said, after the beep", async () => {
  const file = path.join(dir, 'a', 'b', 'key.wav');
  received.length = 0;
  const { session, result, stop } = await dial({ path: file, maxSeconds: 30, beep: { codec: 'PCMU', data: BEEP } });
  try {
    await sleep(900); // the 300 ms beep, then about 600 ms of message
    await press(session, '5'); // other keys do not end it
    await sleep(100);
    await press(session, '#');
    const r = await result;
    assert.equal(r.endedBy, 'key', "ended by '#'");
    assert.equal(r.path, file);
    assert.ok(r.durationMs > 0, `recorded something (${r.durationMs} ms)`);
    assert.equal(soxi(file, '-r'), '8000', 'soxi: 8 kHz');
    assert.equal(soxi(file, '-c'), '1', 'soxi: mono');
    const seconds = Number(soxi(file, '-D'));
    assert.ok(Math.abs(seconds * 1000 - r.durationMs) <= 40, `soxi duration ${seconds} s matches the reported ${r.durationMs} ms`);
    const wav = readWav(readFileSync(file));
    assert.equal(wav.format, 'ulaw', "the message is kept in the caller's law (PCMU)");
    const pcm = wav.pcm;
    assert.ok(rms(pcm) > 1000, `the caller's tone is in the file (rms ${rms(pcm).toFixed(0)})`);
    // The caller heard the beep: 1 kHz energy arrived on its RTP socket.
    const heard = decodeUlaw(Buffer.concat(received.filter((p) => p.length > 12 && (p[1]! & 0x7f) === 0).map((p) => p.subarray(12))));
    assert.ok(rms(heard) > 1000, `the caller heard the beep (rms ${rms(heard).toFixed(0)})`);
  } finally {
    stop();
    await session.bye().catch(() => undefined);
  }
});

test("maxSeconds ends the message; a '#' typed during the beep does not end it early", async () => {
  const file = path.join(dir, 'max.wav');
  const { session, result, stop } = await dial({ path: file, maxSeconds: 1, beep: { codec: 'PCMU', data: BEEP } });
  try {
    await press(session, '#'); // during the beep: dropped
    const r = await result;
    assert.equal(r.endedBy, 'max', 'ended by the length limit');
    assert.ok(r.durationMs >= 500 && r.durationMs <= 1500, `about one second recorded (${r.durationMs} ms)`);
    assert.ok(Math.abs(Number(soxi(file, '-D')) * 1000 - r.durationMs) <= 40, 'soxi agrees on the length');
  } finally {
    stop();
    await session.bye().catch(() => undefined);
  }
});

test('the caller hanging up ends the message and keeps what was said', async () => {
  const file = path.join(dir, 'hangup.wav');
  const { session, result, stop } = await dial({ path: file, maxSeconds: 30 });
  try {
    await sleep(600);
    stop();
    await session.bye();
    const r = await result;
    assert.equal(r.endedBy, 'hangup', 'ended by the hang-up');
    assert.ok(!r.empty, 'a file was written');
    assert.ok(r.durationMs > 0, `recorded something (${r.durationMs} ms)`);
    assert.equal(soxi(file, '-r'), '8000', 'soxi reads the file');
    assert.ok(Number(soxi(file, '-s')) > 0, 'soxi: samples in the file');
    const wav = readWav(readFileSync(file));
    assert.ok(rms(wav.pcm) > 1000, "the caller's tone is in the file");
  } finally {
    stop();
  }
});
