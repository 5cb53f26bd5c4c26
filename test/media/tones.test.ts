/**
 * The recording beep, decoded back from G.711 as a listener hears it: 1 kHz, 300 ms,
 * about -10 dBFS peak, soft edges (no click), the same bytes in both laws' decode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAlaw, decodeUlaw } from '../../src/media/codecs/g711.ts';
import { beep, tonePcm } from '../../src/media/tones.ts';
import { goertzel, peakDbfs, rmsDbfs, zeroCrossingHz } from './tone-analysis.ts';

for (const codec of ['PCMU', 'PCMA'] as const) {
  test(`${codec} beep: 300 ms of 1 kHz at -10 dBFS`, () => {
    const bytes = beep(codec);
    assert.equal(bytes.length, 2400, '300 ms at 8 kHz');
    const pcm = codec === 'PCMU' ? decodeUlaw(bytes) : decodeAlaw(bytes);
    const body = pcm.subarray(80, 2320); // past the 5 ms edges
    const hz = zeroCrossingHz(body);
    assert.ok(Math.abs(hz - 1000) < 10, `1 kHz by zero crossings (got ${hz})`);
    const at1k = goertzel(body, 1000);
    for (const other of [500, 800, 1200, 2000]) {
      assert.ok(at1k > 100 * goertzel(body, other), `1 kHz dominates ${other} Hz`);
    }
    const peak = peakDbfs(body);
    assert.ok(Math.abs(peak - -10) < 0.6, `peak -10 dBFS (got ${peak.toFixed(2)})`);
    const rms = rmsDbfs(body);
    assert.ok(Math.abs(rms - -13.01) < 0.6, `RMS of a sine 3 dB under its peak (got ${rms.toFixed(2)})`);
    assert.ok(Math.abs(pcm[0]!) < 64 && Math.abs(pcm[pcm.length - 1]!) < 256, 'starts and ends at silence (no click)');
  });
}

test('the edges ramp up: the first 2 ms are quieter than the body', () => {
  const pcm = tonePcm();
  assert.ok(rmsDbfs(pcm.subarray(0, 16)) < rmsDbfs(pcm.subarray(400, 800)) - 6, 'soft attack');
  assert.ok(rmsDbfs(pcm.subarray(pcm.length - 16)) < rmsDbfs(pcm.subarray(400, 800)) - 6, 'soft release');
});

test('deterministic: the same bytes every time', () => {
  assert.deepEqual(beep('PCMU'), beep('PCMU'), 'pure');
  assert.notDeepEqual(beep('PCMU'), beep('PCMA'), 'each law its own encoding');
});
