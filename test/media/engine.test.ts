/**
 * MediaEngine against real UDP sockets on 127.0.0.1: "far end" sockets in this process
 * (or, for the main-thread-blocking proof, in their own thread) receive our RTP/RTCP and
 * send theirs. Timing is only sanity-checked here; its quality is bench/media-playout.ts's.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaEngine, MediaRequestError, type LegId, type DigitEvent } from '../../src/media/engine.ts';
import { SDES_CNAME } from '../../src/media/rtcp.ts';
import { DtmfReceiver, parseDtmfEvent } from '../../src/media/dtmf/rfc4733.ts';
import { ulawToAlaw, alawToUlaw, ULAW_SILENCE } from '../../src/media/codecs/g711.ts';
import { readUdpFromPcap } from '../../src/media/pcap.ts';
import { readWav } from '../../src/media/wav.ts';
import { FarEnd, ROBUST, type Rx, assertContinuous, assertSaneTiming, closeOpenFarEnds, concatPayloads, pattern, sleep, within } from './far-end.ts';

after(closeOpenFarEnds);

describe('MediaEngine', { concurrency: true, timeout: 20_000 }, () => {
  let engine: MediaEngine;
  const digits: DigitEvent[] = [];
  let dir: string;

  before(async () => {
    engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [13000, 13199], workers: 2, ...ROBUST });
    engine.on('digit', (d) => digits.push(d));
    dir = await mkdtemp(join(tmpdir(), 'surgeline-media-'));
  });
  after(async () => {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function leg(far: FarEnd, codec: 'PCMU' | 'PCMA' = 'PCMU', near?: LegId): Promise<{ legId: LegId; port: number }> {
    const l = await engine.allocate(near ? { near } : {});
    await engine.configure(l.legId, { remote: far.endpoint, codec, payloadType: codec === 'PCMU' ? 0 : 8, telephoneEventPt: 101 });
    return l;
  }

  test('plays a prompt in order, 20 ms apart, with continuous seq/ts and a marker at the talkspurt; RTCP SR on port+1', async () => {
    const far = await FarEnd.open();
    const { legId, port } = await leg(far);
    assert.equal(port % 2, 0);
    const prompt = pattern(8000, 1); // one second
    await engine.loadPrompt('ramp', 'PCMU', prompt);
    await far.until(() => far.rx.length >= 5); // comfort frames first
    assert.ok(far.rx[0]!.pkt.marker, 'first packet of the stream has M set');
    assert.deepEqual([...far.rx[1]!.pkt.payload].filter((b) => b !== ULAW_SILENCE), [], 'comfort frames are µ-law silence');
    const result = await within(engine.play(legId, { source: { kind: 'prompt', id: 'ramp' } }), 5000, 'the prompt');
    assert.equal(result, 'done');
    await sleep(100);
    const start = far.rx.findIndex((r) => r.pkt.marker && r.pkt.payload.equals(prompt.subarray(0, 160)));
    assert.ok(start > 0, 'prompt starts a talkspurt (marker bit)');
    const played = far.rx.slice(start, start + 50);
    assert.deepEqual(concatPayloads(played), prompt);
    assert.ok(played.slice(1).every((r) => !r.pkt.marker));
    assertContinuous(far.rx, 'stream');
    assertSaneTiming(far.rx, 'stream');
    assert.ok(far.rx.every((r) => r.pkt.payloadType === 0 && r.pkt.version === 2));

    // RFC 3550 §6.2: the first report comes after ~2.5 s (randomised 1.25–3.75 s, §6.3.1).
    await far.until(() => far.rtcpRx.length > 0, 5000);
    const compound = far.rtcpRx[0]!;
    const sr = compound[0]!;
    assert.equal(sr.type, 'sr');
    assert.equal(sr.type === 'sr' && sr.ssrc, far.rx[0]!.pkt.ssrc);
    assert.ok(sr.type === 'sr' && sr.packetCount > 50);
    const sdes = compound.find((p) => p.type === 'sdes');
    assert.ok(sdes?.type === 'sdes' && sdes.chunks[0]!.items.some((i) => i.type === SDES_CNAME && i.text.length > 0));
    const st = await engine.release(legId);
    assert.ok(st.packetsSent >= far.rx.length);
    await sleep(50);
    // RFC 3550 §6.6: leaving the session says BYE.
    assert.ok(far.rtcpRx.some((c) => c.some((p) => p.type === 'bye')), 'RTCP BYE on release');
    far.close();
  });

  test('RFC 4733 digits from a SIPp capture are reported exactly once each and barge in on the prompt', async (t) => {
    const five = '/usr/share/sip-tester/dtmf_2833_5.pcap';
    const pound = '/usr/share/sip-tester/dtmf_2833_pound.pcap';
    if (!existsSync(five) || !existsSync(pound)) return t.skip('SIPp pcaps not installed');
    const far = await FarEnd.open();
    const { legId, port } = await leg(far);
    await engine.loadPrompt('long', 'PCMU', pattern(8000 * 5, 2));
    const play = engine.play(legId, { source: { kind: 'prompt', id: 'long' }, bargeIn: true });
    await sleep(200);
    const replay = async (file: string): Promise<void> => {
      const pkts = readUdpFromPcap(readFileSync(file));
      const t0 = pkts[0]!.ts;
      const start = performance.now();
      for (const p of pkts) {
        const wait = start + (p.ts - t0) * 1000 - performance.now();
        if (wait > 0) await sleep(wait);
        far.rtp.send(p.payload, port, '127.0.0.1');
      }
    };
    await replay(five); // 10 packets including the three end packets
    assert.equal(await within(play, 3000, 'barge-in'), 'interrupted');
    const atInterrupt = far.rx.length;
    await sleep(100);
    await replay(pound);
    await sleep(200);
    const mine = digits.filter((d) => d.legId === legId);
    assert.deepEqual(mine.map((d) => [d.digit, d.source]), [['5', 'rfc4733'], ['#', 'rfc4733']]);
    // After the interruption the leg falls back to comfort silence.
    const tail = far.rx.slice(atInterrupt + 2);
    assert.ok(tail.length > 5 && tail.every((r) => r.pkt.payload.every((b) => b === ULAW_SILENCE)));
    assert.equal((await engine.stats(legId)).digitsReceived, 2);
    await engine.release(legId);
    far.close();
  });

  test('injectDigit (SIP INFO) is reported with source info and barges in like an RTP digit', async () => {
    const far = await FarEnd.open();
    const { legId } = await leg(far);
    const play = engine.play(legId, { source: { kind: 'silence', ms: 10_000 }, bargeIn: true });
    await sleep(60);
    await engine.injectDigit(legId, '7');
    assert.equal(await within(play, 3000, 'barge-in'), 'interrupted');
    // Without bargeIn the digit is reported but the playback goes on.
    const p2 = engine.play(legId, { source: { kind: 'silence', ms: 200 } });
    await engine.injectDigit(legId, '8');
    assert.equal(await within(p2, 3000, 'the silence'), 'done');
    const mine = digits.filter((d) => d.legId === legId);
    assert.deepEqual(mine.map((d) => [d.digit, d.source]), [['7', 'info'], ['8', 'info']]);
    await engine.release(legId);
    far.close();
  });

  test('sendDigits emits RFC 4733 events: marker on the onset, onset timestamp throughout, three end packets, one seq space', async () => {
    const far = await FarEnd.open();
    const { legId } = await leg(far);
    await far.until(() => far.rx.length >= 3);
    await within(engine.sendDigits(legId, '1*9'), 5000, 'the digits');
    await sleep(60);
    const rx = far.rx.slice();
    const ev = rx.filter((r) => r.pkt.payloadType === 101);
    const receiver = new DtmfReceiver();
    const heard: string[] = [];
    for (const r of ev) {
      const d = receiver.push(r.pkt.timestamp, parseDtmfEvent(r.pkt.payload), r.pkt.marker, r.pkt.ssrc);
      if (d) heard.push(d);
    }
    assert.deepEqual(heard, ['1', '*', '9']);
    const byTs = new Map<number, Rx[]>();
    for (const r of ev) byTs.set(r.pkt.timestamp, [...(byTs.get(r.pkt.timestamp) ?? []), r]);
    assert.equal(byTs.size, 3, 'one onset timestamp per digit');
    for (const group of byTs.values()) {
      assert.ok(group[0]!.pkt.marker && group.slice(1).every((r) => !r.pkt.marker));
      const ends = group.filter((r) => parseDtmfEvent(r.pkt.payload).end);
      assert.equal(ends.length, 3, 'end packet sent three times (§2.5.1.4)');
      assert.equal(parseDtmfEvent(ends[0]!.pkt.payload).duration, 800, '100 ms at 8 kHz');
    }
    for (let i = 1; i < rx.length; i++) {
      assert.equal(rx[i]!.pkt.sequenceNumber, (rx[i - 1]!.pkt.sequenceNumber + 1) & 0xffff, 'events share the audio sequence space');
    }
    await engine.release(legId);
    far.close();
  });

  test('a looped prompt loops (also across a frame boundary) until stopped', async () => {
    const far = await FarEnd.open();
    const { legId } = await leg(far);
    const music = pattern(400, 3); // 2.5 frames: every loop wraps mid-packet
    await engine.loadPrompt('music', 'PCMU', music);
    const play = engine.play(legId, { source: { kind: 'prompt', id: 'music' }, loop: true });
    const startOf = () => far.rx.findIndex((r) => r.pkt.marker && r.pkt.payload.equals(music.subarray(0, 160)));
    await far.until(() => startOf() >= 0 && far.rx.length >= startOf() + 15);
    await engine.stopPlayback(legId);
    assert.equal(await within(play, 3000, 'stop'), 'stopped');
    const start = startOf();
    const heard = concatPayloads(far.rx.slice(start, start + 15));
    const expected = Buffer.concat(Array.from({ length: 6 }, () => music)).subarray(0, 15 * 160);
    assert.deepEqual(heard, expected);
    await engine.release(legId);
    far.close();
  });

  test('bridge: each far end hears the other, re-timed onto our stream (own SSRC/seq/ts), transcoded PCMU↔PCMA', async () => {
    const farA = await FarEnd.open();
    const farB = await FarEnd.open();
    const a = await leg(farA, 'PCMU');
    const b = await leg(farB, 'PCMA', a.legId);
    await engine.bridge(a.legId, b.legId);
    const fromA = pattern(160 * 25, 4);
    const fromB = pattern(160 * 25, 5);
    const nA = farA.rx.length;
    const nB = farB.rx.length;
    await Promise.all([farA.sendAudio(a.port, 0, fromA), farB.sendAudio(b.port, 8, fromB)]);
    await sleep(200);
    const heardAtB = concatPayloads(farB.rx.slice(nB));
    const heardAtA = concatPayloads(farA.rx.slice(nA));
    assert.ok(heardAtB.includes(ulawToAlaw(fromA)), 'B hears A, as A-law');
    assert.ok(heardAtA.includes(alawToUlaw(fromB)), 'A hears B, as µ-law');
    assertContinuous(farB.rx, 'B stream');
    assertContinuous(farA.rx, 'A stream');
    assert.notEqual(farB.rx.at(-1)!.pkt.ssrc, farA.ssrc, 'our SSRC, not the far end’s');
    assert.equal(farB.rx.at(-1)!.pkt.ssrc, (await engine.stats(b.legId)).ssrc);
    assert.ok(farB.rx.every((r) => r.pkt.payloadType === 8));
    // With nobody talking, both get comfort frames in their own law.
    const sA = farA.rx.length;
    const sB = farB.rx.length;
    await sleep(200);
    assert.ok(farA.rx.slice(sA + 3).every((r) => r.pkt.payload.every((x) => x === 0xff)));
    assert.ok(farB.rx.slice(sB + 3).every((r) => r.pkt.payload.every((x) => x === 0xd5)));
    // A bridged leg still hears digits (reported, not forwarded as audio).
    farA.send(a.port, 101, Buffer.from([0x09, 0x8a, 0x03, 0x20]), { marker: true });
    await within(
      (async () => {
        while (!digits.some((d) => d.legId === a.legId && d.digit === '9')) await sleep(10);
      })(),
      2000,
      'the digit on the bridged leg',
    );
    await assert.rejects(engine.bridge(a.legId, a.legId), MediaRequestError);
    await engine.unbridge(a.legId);
    await Promise.all([engine.release(a.legId), engine.release(b.legId)]);
    farA.close();
    farB.close();
  });

  test('recording (stereo and mono) writes WAVs that decode back to what was sent and played', async () => {
    const far = await FarEnd.open();
    const { legId, port } = await leg(far);
    const spoken = pattern(160 * 30, 6);
    const prompt = pattern(160 * 40, 7);
    await engine.loadPrompt('rec-prompt', 'PCMU', prompt);
    const stereo = join(dir, 'stereo.wav');
    await engine.record(legId, { path: stereo, mode: 'stereo' });
    const play = engine.play(legId, { source: { kind: 'prompt', id: 'rec-prompt' } });
    await far.sendAudio(port, 0, spoken);
    await within(play, 5000, 'the prompt');
    await sleep(100);
    const res = await engine.stopRecording(legId);
    assert.equal(res.path, stereo);
    assert.ok(res.durationMs >= 800 && res.durationMs < 3000, `duration ${res.durationMs}`);
    const wav = readWav(await readFile(stereo));
    assert.equal(wav.channels, 2);
    assert.equal(wav.sampleRate, 8000);
    assert.equal(wav.format, 'ulaw');
    const left = Buffer.alloc(wav.data.length / 2);
    const right = Buffer.alloc(wav.data.length / 2);
    for (let i = 0; i < left.length; i++) {
      left[i] = wav.data[2 * i]!;
      right[i] = wav.data[2 * i + 1]!;
    }
    assert.ok(left.includes(spoken), 'inbound (left) channel holds what the far end said');
    assert.ok(right.includes(prompt), 'outbound (right) channel holds the prompt');
    assert.equal(left.length * 1000 / 8000, res.durationMs);

    const mono = join(dir, 'mono.wav');
    await engine.record(legId, { path: mono, mode: 'mono' });
    await far.sendAudio(port, 0, spoken);
    await sleep(100);
    // release finalises a running recording
    const rel = await engine.release(legId);
    assert.equal(rel.recording?.path, mono);
    const m = readWav(await readFile(mono));
    assert.equal(m.channels, 1);
    assert.ok(Buffer.from(m.data).includes(spoken));
    far.close();
  });

  test('symmetric RTP: latches onto the real source when the SDP address is private, and ignores floods after', async () => {
    const far = await FarEnd.open();
    const intruder = await FarEnd.open();
    const { legId, port } = await engine.allocate();
    await engine.configure(legId, { remote: { address: '10.77.0.9', port: 40000 }, codec: 'PCMU', payloadType: 0, telephoneEventPt: 101 });
    await sleep(100);
    assert.equal(far.rx.length, 0, 'nothing reaches us before latching');
    far.send(port, 0, pattern(160, 8));
    await far.until(() => far.rx.length > 5);
    const before = await engine.stats(legId);
    assert.equal(before.latched, true);
    assert.deepEqual(before.remote, far.endpoint);
    for (let i = 0; i < 20; i++) intruder.send(port, 0, pattern(160, 9));
    intruder.send(port, 101, Buffer.from([0x05, 0x8a, 0x03, 0x20]), { marker: true });
    await sleep(150);
    const st = await engine.stats(legId);
    assert.equal(st.foreignPackets, 21);
    assert.deepEqual(st.remote, far.endpoint);
    assert.equal(intruder.rx.length, 0);
    assert.equal(digits.filter((d) => d.legId === legId).length, 0);
    await engine.release(legId);
    far.close();
    intruder.close();
  });

  test('hold and unhold through configure: sending stops, resumes with M set and the timestamp advanced by the pause', async () => {
    const far = await FarEnd.open();
    const { legId } = await leg(far);
    await far.until(() => far.rx.length >= 5);
    await engine.configure(legId, { remote: far.endpoint, codec: 'PCMU', payloadType: 0, direction: 'recvonly' });
    await sleep(60);
    const held = far.rx.length;
    await sleep(300);
    assert.equal(far.rx.length, held, 'nothing sent while recvonly');
    await engine.configure(legId, { remote: far.endpoint, codec: 'PCMA', payloadType: 8, direction: 'sendrecv' });
    await far.until(() => far.rx.length > held + 3);
    const last = far.rx[held - 1]!.pkt;
    const resumed = far.rx[held]!.pkt;
    assert.ok(resumed.marker, 'marker after the pause');
    assert.equal(resumed.payloadType, 8, 'codec changed on re-INVITE');
    assert.equal(resumed.sequenceNumber, (last.sequenceNumber + 1) & 0xffff);
    const periods = ((resumed.timestamp - last.timestamp) >>> 0) / 160;
    assert.ok(Number.isInteger(periods) && periods >= 15, `timestamp advanced ${periods} periods`);
    assert.ok(far.rx.slice(held).every((r) => r.pkt.payload.every((x) => x === 0xd5)), 'A-law comfort frames');
    await engine.release(legId);
    far.close();
  });

  test('a PCMU prompt played to a PCMA leg is transcoded', async () => {
    const far = await FarEnd.open();
    const { legId } = await leg(far, 'PCMA');
    const prompt = pattern(160 * 10, 10);
    await engine.loadPrompt('u-prompt', 'PCMU', prompt);
    assert.equal(await within(engine.play(legId, { source: { kind: 'prompt', id: 'u-prompt' } }), 3000, 'the prompt'), 'done');
    const adhoc = pattern(160 * 5, 11);
    assert.equal(await within(engine.play(legId, { source: { kind: 'g711', codec: 'PCMU', data: adhoc } }), 3000, 'the buffer'), 'done');
    await sleep(60);
    const heard = concatPayloads(far.rx);
    assert.ok(heard.includes(ulawToAlaw(prompt)));
    assert.ok(heard.includes(ulawToAlaw(adhoc)));
    await assert.rejects(engine.play(legId, { source: { kind: 'prompt', id: 'nope' } }), (e: unknown) => e instanceof MediaRequestError && e.code === 'UNKNOWN_PROMPT');
    await engine.release(legId);
    far.close();
  });

  test('rtpTimeout fires when a receiving leg hears nothing', async () => {
    const far = await FarEnd.open();
    const { legId } = await engine.allocate();
    const fired = new Promise<void>((resolve) => {
      const on = (e: { legId: LegId }) => {
        if (e.legId === legId) {
          engine.off('rtpTimeout', on);
          resolve();
        }
      };
      engine.on('rtpTimeout', on);
    });
    const t0 = performance.now();
    await engine.configure(legId, { remote: far.endpoint, codec: 'PCMU', payloadType: 0, rtpTimeoutMs: 300 });
    await within(fired, 3000, 'rtpTimeout');
    const took = performance.now() - t0;
    assert.ok(took >= 290 && took < 2000, `after ${took.toFixed(0)} ms`);
    await engine.release(legId);
    far.close();
  });

  test('unknown legs and bad arguments are refused', async () => {
    await assert.rejects(engine.stats('leg-nope' as LegId), /no media leg/);
    const far = await FarEnd.open();
    const { legId } = await engine.allocate();
    await assert.rejects(
      engine.configure(legId, { remote: { address: 'example.com', port: 4000 }, codec: 'PCMU', payloadType: 0 }),
      (e: unknown) => e instanceof MediaRequestError && e.code === 'BAD_REQUEST',
    );
    await assert.rejects(engine.sendDigits(legId, '12'), /not configured|telephone-event/);
    await engine.release(legId);
    await assert.rejects(engine.release(legId), /no media leg/);
    far.close();
  });
});
