import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavRecorder } from '../../src/media/recorder.ts';
import { readWav } from '../../src/media/wav.ts';
import { ULAW_DECODE, ulawToAlaw } from '../../src/media/codecs/g711.ts';

function frames(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n * 160);
  for (let i = 0; i < b.length; i++) b[i] = (i * 5 + seed) % 256;
  return b;
}

describe('WavRecorder', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'surgeline-rec-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('mono across several one-second chunks: the data is the inbound bytes, silence where none came, header patched', async () => {
    const path = join(dir, 'mono.wav');
    const rec = await WavRecorder.open(path, 'mono', 'PCMU');
    const inbound = frames(120, 1); // 2.4 s: spans three chunks
    for (let k = 0; k < 120; k++) rec.push(k === 60 ? null : inbound, k * 160, null, 0, 'PCMU');
    const res = await rec.close();
    assert.deepEqual(res, { path, durationMs: 2400, pauses: [] });
    assert.deepEqual(await rec.close(), res, 'close is idempotent');
    const file = await readFile(path);
    const wav = readWav(file);
    assert.equal(wav.format, 'ulaw');
    assert.equal(wav.channels, 1);
    assert.equal(wav.data.length, 120 * 160);
    const expected = Buffer.from(inbound);
    expected.fill(0xff, 60 * 160, 61 * 160);
    assert.deepEqual(Buffer.from(wav.data), expected);
    assert.equal(file.readUInt32LE(4), file.length - 8, 'RIFF size patched on close');
  });

  test('pause writes silence in both directions for its stretch and reports it; resume brings the audio back', async () => {
    const path = join(dir, 'paused.wav');
    const rec = await WavRecorder.open(path, 'stereo', 'PCMU');
    const a = frames(10, 7);
    const b = frames(10, 9);
    for (let k = 0; k < 10; k++) {
      if (k === 3) assert.equal(rec.setPaused(true), true, 'paused at 60 ms');
      if (k === 4) assert.equal(rec.setPaused(true), false, 'pausing again changes nothing');
      if (k === 7) assert.equal(rec.setPaused(false), true, 'resumed at 140 ms');
      if (k === 9) rec.setPaused(true); // still paused when the call ends
      rec.push(a, k * 160, b, k * 160, 'PCMU');
    }
    assert.equal(rec.paused, true);
    const res = await rec.close();
    assert.deepEqual(res.pauses, [{ startMs: 60, endMs: 140 }, { startMs: 180, endMs: 200 }], 'the open pause ends with the recording');
    assert.equal(res.durationMs, 200, 'the timeline keeps its length');
    const wav = readWav(await readFile(path));
    for (let k = 0; k < 10; k++) {
      const quiet = (k >= 3 && k < 7) || k === 9;
      for (let i = 0; i < 160; i++) {
        const at = 2 * (k * 160 + i);
        assert.equal(wav.data[at], quiet ? 0xff : a[k * 160 + i], `frame ${k} left`);
        assert.equal(wav.data[at + 1], quiet ? 0xff : b[k * 160 + i], `frame ${k} right`);
      }
    }
    assert.equal(rec.setPaused(false), false, 'a closed recording does not change');
  });

  test('stereo interleaves inbound left and outbound right, transcoding frames of the other law', async () => {
    const path = join(dir, 'stereo.wav');
    const rec = await WavRecorder.open(path, 'stereo', 'PCMA');
    const a = frames(3, 2);
    const b = frames(3, 3);
    for (let k = 0; k < 3; k++) rec.push(a, k * 160, b, k * 160, 'PCMU'); // the leg renegotiated to PCMU
    await rec.close();
    const wav = readWav(await readFile(path));
    assert.equal(wav.format, 'alaw');
    assert.equal(wav.channels, 2);
    const left = Buffer.alloc(480);
    const right = Buffer.alloc(480);
    for (let i = 0; i < 480; i++) {
      left[i] = wav.data[2 * i]!;
      right[i] = wav.data[2 * i + 1]!;
    }
    assert.deepEqual(left, ulawToAlaw(a));
    assert.deepEqual(right, ulawToAlaw(b));
  });

  test('mixed sums both directions into 16-bit PCM with clipping', async () => {
    const path = join(dir, 'mixed.wav');
    const rec = await WavRecorder.open(path, 'mixed', 'PCMU');
    const a = frames(1, 4);
    const loud = Buffer.alloc(160, 0x80); // µ-law 0x80 = +32124
    rec.push(a, 0, null, 0, 'PCMU');
    rec.push(loud, 0, loud, 0, 'PCMU');
    await rec.close();
    const wav = readWav(await readFile(path));
    assert.equal(wav.format, 'pcm16');
    const pcm = wav.pcm;
    for (let i = 0; i < 160; i++) assert.equal(pcm[i], ULAW_DECODE[a[i]!]);
    for (let i = 160; i < 320; i++) assert.equal(pcm[i], 32767);
  });

  test('opening a path in a missing directory fails at open, not later', async () => {
    await assert.rejects(WavRecorder.open(join(dir, 'no', 'such', 'dir.wav'), 'mono', 'PCMU'), /ENOENT/);
  });
});
