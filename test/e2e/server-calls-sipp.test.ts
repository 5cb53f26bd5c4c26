/**
 * Our own UAC places a call to SIPp's built-in UAS (`-sn uas`, PCMU, `-rtp_echo`): INVITE
 * with our SDP offer, 180/200, our ACK, a second of audio that SIPp echoes back, our BYE.
 * SIPp must count the call as successful and our leg must have heard its own audio back.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { MediaEngine } from '../../src/media/engine.ts';
import { marshalSdp, parseSdp } from '../../src/media/sdp.ts';
import { createOffer, parseAnswer } from '../../src/media/sdp-negotiate.ts';
import { encodeUlaw } from '../../src/media/codecs/g711.ts';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

function tone(ms: number, hz = 440): Buffer {
  const n = (ms / 1000) * 8000;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  return encodeUlaw(pcm);
}

test('our UAC calls SIPp uas: answered, audio echoed back, BYE completes the call', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-uas-'));
  const sipp = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', '25480', '-mp', '25500', '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '30s', '-trace_stat'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let sippErr = '';
  sipp.stderr.on('data', (d: Buffer) => (sippErr += d.toString()));
  const sippExit = new Promise<number | null>((resolve) => sipp.on('close', resolve));
  closers.push(async () => {
    if (sipp.exitCode === null) sipp.kill('SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 500));

  const media = await MediaEngine.start({ host: '127.0.0.1', portRange: '25400-25479', workers: 1 });
  closers.push(() => media.close());
  const ua = await UserAgent.start({ listen: { host: '127.0.0.1', port: 0 } });
  closers.push(() => ua.close());

  const leg = await media.allocate();
  const offer = createOffer({ address: '127.0.0.1', port: leg.port, codecs: ['PCMU', 'PCMA'], telephoneEvent: true });
  const progress: number[] = [];
  const session = await ua.invite({
    uri: 'sip:service@127.0.0.1:25480',
    from: 'sip:4008001111@127.0.0.1',
    sdp: Buffer.from(marshalSdp(offer)),
    onProgress: (r) => progress.push(r.status),
    timeoutMs: 10_000,
  });
  assert.ok(progress.includes(180), `180 Ringing seen (got ${progress.join(',')})`);
  const negotiated = parseAnswer(offer, parseSdp(session.remoteSdp.toString()));
  assert.equal(negotiated.codec.name, 'PCMU');
  await media.configure(leg.legId, {
    remote: negotiated.remote,
    codec: negotiated.codec.name,
    payloadType: negotiated.codec.payloadType,
    direction: negotiated.direction,
  });
  const played = await media.play(leg.legId, { source: { kind: 'g711', codec: 'PCMU', data: tone(1000) } });
  assert.equal(played, 'done');
  const stats = await media.stats(leg.legId);
  assert.ok(stats.packetsSent >= 45, `sent ${stats.packetsSent} packets`);
  assert.ok(stats.packetsReceived >= 40, `SIPp echoed ${stats.packetsReceived} packets back`);
  await session.bye();
  assert.equal((await session.ended).reason, 'local-bye');
  await media.release(leg.legId);
  const code = await sippExit;
  assert.equal(code, 0, `sipp uas exit ${code}: ${sippErr}`);
});
