/**
 * Music on hold decoded back from G.711: the notes of the melody are where the score puts
 * them (Goertzel at each note's frequency beats the other notes), the level sits near
 * -12 dBFS peak, every note fades in and out, and the loop is whole 20 ms frames that
 * end and start in silence so playing it back to back has no seam.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAlaw, decodeUlaw } from '../../src/media/codecs/g711.ts';
import { BEAT_MS, FRAME_SAMPLES, MELODY, mohPcm, musicOnHold } from '../../src/media/moh.ts';
import { goertzel, peakDbfs, rmsDbfs } from './tone-analysis.ts';

const beat = (BEAT_MS * 8000) / 1000;
const distinct = [...new Set(MELODY.map((n) => n.hz).filter((hz) => hz > 0))];

for (const codec of ['PCMU', 'PCMA'] as const) {
  test(`${codec}: each note sounds at its own frequency`, () => {
    const bytes = musicOnHold(codec);
    const pcm = codec === 'PCMU' ? decodeUlaw(bytes) : decodeAlaw(bytes);
    const beats = MELODY.reduce((n, x) => n + x.beats, 0);
    assert.equal(pcm.length, beats * beat, 'the score length');
    let at = 0;
    for (const [i, note] of MELODY.entries()) {
      const n = note.beats * beat;
      const seg = pcm.subarray(at + 400, at + Math.min(n, 2000) - 200);
      if (note.hz === 0) {
        assert.ok(peakDbfs(pcm.subarray(at, at + n)) < -60, `note ${i} is a rest: silence`);
      } else {
        const own = goertzel(seg, note.hz);
        for (const other of distinct) {
          if (other !== note.hz) assert.ok(own > 10 * goertzel(seg, other), `note ${i} (${note.hz} Hz) dominates ${other} Hz`);
        }
        assert.ok(Math.abs(pcm[at]!) < 64, `note ${i} starts softly`);
        assert.ok(Math.abs(pcm[at + n - 1]!) < 64, `note ${i} ends in silence`);
      }
      at += n;
    }
  });

  test(`${codec}: level and loop seam`, () => {
    const bytes = musicOnHold(codec);
    assert.equal(bytes.length % FRAME_SAMPLES, 0, 'a whole number of 20 ms frames');
    const pcm = codec === 'PCMU' ? decodeUlaw(bytes) : decodeAlaw(bytes);
    const peak = peakDbfs(pcm);
    assert.ok(peak < -10 && peak > -16, `peaks near -12 dBFS (got ${peak.toFixed(2)})`);
    const rms = rmsDbfs(pcm);
    assert.ok(rms > -30 && rms < -15, `audible but soft overall (RMS ${rms.toFixed(2)} dBFS)`);
    // Played back to back: the end of one pass and the start of the next are both quiet,
    // and no sample step across the seam is bigger than the steps inside the music.
    const seam = new Int16Array([...pcm.subarray(pcm.length - 160), ...pcm.subarray(0, 8)]);
    let maxStep = 0;
    for (let i = 1; i < pcm.length; i++) maxStep = Math.max(maxStep, Math.abs(pcm[i]! - pcm[i - 1]!));
    let seamStep = 0;
    for (let i = 1; i < seam.length; i++) seamStep = Math.max(seamStep, Math.abs(seam[i]! - seam[i - 1]!));
    assert.ok(seamStep < 64, `no click at the loop seam (step ${seamStep})`);
    assert.ok(maxStep > 500, 'the music itself moves (sanity of the seam check)');
  });
}

test('deterministic and cached: a pure function of the codec', () => {
  assert.deepEqual(mohPcm(), mohPcm(), 'same PCM every time');
  assert.equal(musicOnHold('PCMU'), musicOnHold('PCMU'), 'cached per codec');
  assert.notDeepEqual(musicOnHold('PCMU'), musicOnHold('PCMA'), 'per law');
});
