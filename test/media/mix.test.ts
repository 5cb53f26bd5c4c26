/**
 * Supervision mixing (C11): mixFrames on its own (byte-exact where it copies, linear sums
 * where it mixes), then the MediaEngine over real UDP on 127.0.0.1 — caller A bridged to
 * agent B, supervisor S hearing both (listen), B hearing S as well (whisper), A too (barge),
 * each far end checked by the tones it receives; releasing S leaves A and B bridged.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MediaEngine, MediaRequestError, type LegId } from '../../src/media/engine.ts';
import { mixFrames } from '../../src/media/mix.ts';
import { ALAW_DECODE, ULAW_DECODE, decodeUlaw, encodeUlaw, ulawToAlaw } from '../../src/media/codecs/g711.ts';
import { toneG711 } from '../../src/media/tones.ts';
import { goertzel } from './tone-analysis.ts';
import { FarEnd, ROBUST, closeOpenFarEnds, concatPayloads, sleep } from './far-end.ts';

after(closeOpenFarEnds);

describe('mixFrames', () => {
  const a = encodeUlaw(Int16Array.from({ length: 160 }, (_, i) => (i % 2 ? 1000 : -1000)));
  const b = encodeUlaw(Int16Array.from({ length: 160 }, () => 3000));
  test('no source is silence in the receiving law; one source is copied, through the law table', () => {
    const out = new Uint8Array(170);
    mixFrames([], out, 5, 'PCMA');
    assert.ok(out.subarray(5, 165).every((x) => x === 0xd5));
    mixFrames([{ frame: a, codec: 'PCMU' }], out, 5, 'PCMU');
    assert.deepEqual(Buffer.from(out.subarray(5, 165)), a);
    mixFrames([{ frame: a, codec: 'PCMU' }], out, 5, 'PCMA');
    assert.deepEqual(Buffer.from(out.subarray(5, 165)), ulawToAlaw(a));
  });
  test('two sources are summed in linear PCM (within G.711 quantisation) and clip at 16 bits', () => {
    const out = new Uint8Array(160);
    mixFrames([{ frame: a, codec: 'PCMU' }, { frame: b, codec: 'PCMU' }], out, 0, 'PCMU');
    const pcm = decodeUlaw(out);
    for (let i = 0; i < 160; i++) {
      const want = ULAW_DECODE[a[i]!]! + ULAW_DECODE[b[i]!]!;
      assert.ok(Math.abs(pcm[i]! - want) <= want * 0.07 + 16, `sample ${i}: ${pcm[i]} ≈ ${want}`);
    }
    const loud = encodeUlaw(new Int16Array(160).fill(30000));
    mixFrames([{ frame: loud, codec: 'PCMU' }, { frame: ulawToAlaw(loud), codec: 'PCMA' }], out, 0, 'PCMA');
    assert.ok(out.every((x) => ALAW_DECODE[x]! >= 32000), 'clipped to full scale, not wrapped around');
  });
});

describe('MediaEngine supervision mix', { timeout: 30_000 }, () => {
  let engine: MediaEngine;
  before(async () => {
    engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [13400, 13499], workers: 2, ...ROBUST });
  });
  after(() => engine.close());

  async function leg(far: FarEnd, near?: LegId): Promise<{ legId: LegId; port: number }> {
    const l = await engine.allocate(near ? { near } : {});
    await engine.configure(l.legId, { remote: far.endpoint, codec: 'PCMU', payloadType: 0, telephoneEventPt: 101 });
    return l;
  }

  /** Which of the three tones the far end heard while all three were sent. */
  async function heard(fars: { far: FarEnd; port: number; hz: number }[]): Promise<Map<FarEnd, Set<number>>> {
    const marks = fars.map((f) => f.far.rx.length);
    await Promise.all(fars.map((f) => f.far.sendAudio(f.port, 0, toneG711('PCMU', { frequencyHz: f.hz, ms: 600, levelDbfs: -12, edgeMs: 0 }))));
    await sleep(100);
    const out = new Map<FarEnd, Set<number>>();
    fars.forEach((f, i) => {
      const pcm = decodeUlaw(concatPayloads(f.far.rx.slice(marks[i]! + 5)));
      const floor = goertzel(pcm, 2500);
      out.set(f.far, new Set(fars.map((g) => g.hz).filter((hz) => goertzel(pcm, hz) > 20 * (floor + 1e-9) && goertzel(pcm, hz) > 1e-4)));
    });
    return out;
  }

  test('listen, whisper, barge: who hears whom; a released supervisor leaves the bridge as it was', async () => {
    const [farA, farB, farS] = [await FarEnd.open(), await FarEnd.open(), await FarEnd.open()];
    const a = await leg(farA);
    const b = await leg(farB, a.legId);
    const s = await leg(farS, a.legId);
    await engine.bridge(a.legId, b.legId);
    const parties = [{ far: farA, port: a.port, hz: 700 }, { far: farB, port: b.port, hz: 1100 }, { far: farS, port: s.port, hz: 1700 }];
    const check = async (what: string, want: [FarEnd, number[]][]): Promise<void> => {
      const got = await heard(parties);
      for (const [far, hz] of want) assert.deepEqual([...got.get(far)!].sort(), hz.sort(), `${what}: ${far === farA ? 'caller' : far === farB ? 'agent' : 'supervisor'} hears ${hz.join(', ') || 'nothing'}`);
    };

    await engine.mix(s.legId, [a.legId, b.legId]); // listen
    await check('listen', [[farA, [1100]], [farB, [700]], [farS, [700, 1100]]]);
    await engine.mix(b.legId, [s.legId]); // whisper (coach the agent)
    await check('whisper', [[farA, [1100]], [farB, [700, 1700]], [farS, [700, 1100]]]);
    await engine.mix(a.legId, [s.legId]); // barge
    await check('barge', [[farA, [1100, 1700]], [farB, [700, 1700]], [farS, [700, 1100]]]);

    await assert.rejects(engine.mix(s.legId, [s.legId]), MediaRequestError, 'a leg cannot hear itself');
    await engine.release(s.legId);
    await check('supervisor gone', [[farA, [1100]], [farB, [700]]]);
    await Promise.all([engine.release(a.legId), engine.release(b.legId)]);
    for (const f of [farA, farB, farS]) f.close();
  });
});
