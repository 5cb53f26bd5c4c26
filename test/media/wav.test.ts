import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readWav,
  writeWav,
  wavHeader,
  wavHeaderSize,
  resample,
  toG711,
  pcmToG711,
  pcm16Bytes,
  WavError,
} from '../../src/media/wav.ts';
import { encodeAlaw, encodeUlaw, decodeUlaw } from '../../src/media/codecs/g711.ts';

const hasSox = existsSync('/usr/bin/sox');
let dir = '';

function sox(args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** sox's own decoding of a file to mono 16-bit samples at the file's rate. */
function soxSamples(file: string): Int16Array {
  const raw = execFileSync('sox', ['-D', file, '-t', 's16', '-e', 'signed-integer', '-c', '1', '-'], {
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = new Int16Array(raw.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = raw.readInt16LE(i * 2);
  return out;
}

function goertzel(x: Int16Array, f: number, fs: number): number {
  const c = 2 * Math.cos((2 * Math.PI * f) / fs);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s = v + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2)) / x.length) * 2;
}

function zeroCrossings(x: Int16Array): number {
  let n = 0;
  for (let i = 1; i < x.length; i++) if ((x[i - 1]! < 0) !== (x[i]! < 0)) n++;
  return n;
}

function tone(rate: number, seconds: number, parts: Array<[freq: number, amp: number]>): Int16Array {
  const n = Math.round(rate * seconds);
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const [f, a] of parts) v += a * Math.sin((2 * Math.PI * f * i) / rate);
    x[i] = Math.round(v);
  }
  return x;
}

describe('readWav against sox-written files', { skip: !hasSox && 'sox missing' }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wav-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<{ name: string; args: string[]; rate: number; channels: number; format: string; tolerance: number }> = [
    { name: 'pcm16 mono 8k', args: ['-r', '8000', '-b', '16', '-c', '1'], rate: 8000, channels: 1, format: 'pcm16', tolerance: 0 },
    { name: 'pcm16 stereo 44.1k', args: ['-r', '44100', '-b', '16', '-c', '2'], rate: 44100, channels: 2, format: 'pcm16', tolerance: 1 },
    { name: 'unsigned 8-bit 11.025k', args: ['-r', '11025', '-b', '8', '-e', 'unsigned-integer', '-c', '1'], rate: 11025, channels: 1, format: 'pcm8', tolerance: 0 },
    { name: 'µ-law 8k', args: ['-r', '8000', '-e', 'mu-law', '-c', '1'], rate: 8000, channels: 1, format: 'ulaw', tolerance: 0 },
    { name: 'A-law 8k', args: ['-r', '8000', '-e', 'a-law', '-c', '1'], rate: 8000, channels: 1, format: 'alaw', tolerance: 0 },
    { name: '24-bit (extensible) 16k', args: ['-r', '16000', '-b', '24', '-c', '1'], rate: 16000, channels: 1, format: 'pcm24', tolerance: 0 },
    { name: '3 channels (extensible) 16k', args: ['-r', '16000', '-b', '16', '-c', '3'], rate: 16000, channels: 3, format: 'pcm16', tolerance: 1 },
    { name: 'float 32-bit 22.05k', args: ['-r', '22050', '-e', 'floating-point', '-b', '32', '-c', '1'], rate: 22050, channels: 1, format: 'float32', tolerance: 1 },
    { name: '32-bit int 48k', args: ['-r', '48000', '-b', '32', '-c', '1'], rate: 48000, channels: 1, format: 'pcm32', tolerance: 0 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const file = join(dir, `${c.name.replace(/\W+/g, '_')}.wav`);
      // A chord with different content per channel, so that the mix-down is checked.
      sox(['-n', ...c.args, file, 'synth', '0.1', 'sine', '440', 'sine', '1250', 'sine', '300', 'vol', '0.7']);
      const w = readWav(readFileSync(file));
      assert.equal(w.sampleRate, c.rate);
      assert.equal(w.channels, c.channels);
      assert.equal(w.format, c.format);
      const ref = soxSamples(file);
      assert.equal(w.pcm.length, ref.length);
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w.pcm[i]! - ref[i]!));
      assert.ok(maxDiff <= c.tolerance, `max difference ${maxDiff}`);
      assert.ok(goertzel(w.pcm, 440, c.rate) > 1000, 'signal present');
    });
  }

  test('skips unknown chunks, odd-sized ones with their pad byte, before and after fmt', () => {
    const file = join(dir, 'plain.wav');
    sox(['-n', '-r', '8000', '-b', '16', file, 'synth', '0.05', 'sine', '500']);
    const buf = readFileSync(file);
    assert.equal(buf.length, 44 + 800);
    const chunk = (id: string, body: Buffer): Buffer => {
      const h = Buffer.alloc(8);
      h.write(id, 0, 'latin1');
      h.writeUInt32LE(body.length, 4);
      return Buffer.concat([h, body, Buffer.alloc(body.length & 1)]);
    };
    const list = chunk('LIST', Buffer.from('INFOICMT\x05\0\0\0odd!\0', 'latin1')); // 17 bytes + pad
    const junk = chunk('junk', Buffer.from('abc')); // 3 bytes + pad
    const body = Buffer.concat([buf.subarray(12, 12 + 8), buf.subarray(20, 36)]); // "fmt " chunk
    const data = buf.subarray(36);
    const riff = Buffer.concat([Buffer.from('WAVE'), list, body, junk, data]);
    const head = Buffer.alloc(8);
    head.write('RIFF', 0, 'latin1');
    head.writeUInt32LE(riff.length, 4);
    const file2 = join(dir, 'chunks.wav');
    const built = Buffer.concat([head, riff]);
    assert.deepEqual(readWav(built).pcm, soxSamples(file));
    // sox agrees that the hand-built file is valid and equal.
    writeFileSync(file2, built);
    assert.deepEqual(soxSamples(file2), soxSamples(file));
  });

  test('espeak-ng style header (sizes 0x7ffff000, streamed) reads to the end of the bytes', () => {
    const file = join(dir, 'stream.wav');
    sox(['-n', '-r', '22050', '-b', '16', file, 'synth', '0.05', 'sine', '500']);
    const buf = Buffer.from(readFileSync(file));
    buf.writeUInt32LE(0x7ffff024, 4);
    buf.writeUInt32LE(0x7ffff000, 40);
    assert.deepEqual(readWav(buf).pcm, soxSamples(file));
  });

  test('ADPCM is refused with WavError', () => {
    const file = join(dir, 'adpcm.wav');
    sox(['-n', '-r', '8000', '-e', 'ms-adpcm', file, 'synth', '0.05', 'sine', '500']);
    assert.throws(() => readWav(readFileSync(file)), (e: unknown) => e instanceof WavError && /0x2/.test(e.message));
  });

  test('writeWav is byte-identical to sox for PCM and µ-law/A-law headers', () => {
    for (const [enc, fmt] of [
      ['signed-integer', 'pcm16'],
      ['mu-law', 'ulaw'],
      ['a-law', 'alaw'],
    ] as const) {
      const file = join(dir, `w-${fmt}.wav`);
      sox(['-n', '-r', '8000', '-c', '1', '-e', enc, '-b', fmt === 'pcm16' ? '16' : '8', file, 'synth', '0.0125', 'sine', '700']);
      const theirs = readFileSync(file);
      const w = readWav(theirs);
      const ours = writeWav({ sampleRate: 8000, channels: 1, format: fmt, data: w.data });
      assert.equal(wavHeaderSize(fmt), theirs.length - w.data.length - (w.data.length & 1));
      assert.deepEqual(ours, theirs, fmt);
    }
  });

  test('toG711 passes 8 kHz G.711 through, transcodes the other law, converts the rest', () => {
    const ul = join(dir, 'pass.wav');
    sox(['-n', '-r', '8000', '-c', '1', '-e', 'mu-law', ul, 'synth', '0.2', 'sine', '600']);
    const buf = readFileSync(ul);
    const w = readWav(buf);
    assert.deepEqual(toG711(buf, 'PCMU'), w.data);
    assert.deepEqual(toG711(buf, 'PCMA'), encodeAlaw(decodeUlaw(w.data)));
    const wide = join(dir, 'wide.wav');
    sox(['-n', '-r', '16000', '-c', '2', '-b', '16', wide, 'synth', '0.5', 'sine', '1000']);
    const g = toG711(readFileSync(wide), 'PCMA');
    assert.equal(g.length, 4000);
  });
});

describe('readWav edge cases and errors (hand-built bytes)', () => {
  const pcm = Int16Array.from([0, 1000, -1000, 32767, -32768]);
  const good = writeWav({ sampleRate: 8000, channels: 1, format: 'pcm16', data: pcm16Bytes(pcm) });

  test('round trip of writeWav', () => {
    const w = readWav(good);
    assert.deepEqual(w.pcm, pcm);
    assert.equal(w.sampleRate, 8000);
    assert.equal(good.length, 44 + 10);
  });
  test('odd µ-law data gets a pad byte and reads back exactly', () => {
    const data = encodeUlaw(Int16Array.from([1, 2, 3]));
    const f = writeWav({ sampleRate: 8000, channels: 1, format: 'ulaw', data });
    assert.equal(f.length, 58 + 3 + 1);
    assert.equal(f.readUInt32LE(4), f.length - 8);
    assert.deepEqual(readWav(f).data, data);
  });
  test('a header left unpatched by a crashed recorder (size 0 or 0xFFFFFFFF) still reads', () => {
    for (const size of [0, 0xffffffff]) {
      const f = Buffer.from(good);
      f.writeUInt32LE(size, 40);
      f.writeUInt32LE(size, 4);
      assert.deepEqual(readWav(f).pcm, pcm);
    }
  });
  test('a streaming header rewritten with the final size equals writeWav', () => {
    const data = pcm16Bytes(pcm);
    const start = wavHeader({ sampleRate: 8000, channels: 1, format: 'pcm16', dataBytes: 0 });
    const final = wavHeader({ sampleRate: 8000, channels: 1, format: 'pcm16', dataBytes: data.length });
    assert.equal(start.length, final.length);
    assert.deepEqual(Buffer.concat([final, data]), good);
  });
  test('errors', () => {
    const bad: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['not RIFF', Buffer.from('RIFX\0\0\0\0WAVE')],
      ['not WAVE', Buffer.from('RIFF\0\0\0\0AVI ')],
      ['no data', good.subarray(0, 36)],
      ['no fmt', Buffer.concat([good.subarray(0, 12), good.subarray(36)])],
      ['fmt truncated', good.subarray(0, 30)],
    ];
    const zeroCh = Buffer.from(good);
    zeroCh.writeUInt16LE(0, 22);
    bad.push(['zero channels', zeroCh]);
    const align = Buffer.from(good);
    align.writeUInt16LE(3, 32);
    bad.push(['block align', align]);
    const bits = Buffer.from(good);
    bits.writeUInt16LE(12, 34);
    bad.push(['12-bit', bits]);
    for (const [name, b] of bad) assert.throws(() => readWav(b), WavError, name);
  });
});

describe('resample', () => {
  test('16 kHz → 8 kHz keeps a 1 kHz tone and removes a 5 kHz one', () => {
    const x = tone(16000, 1, [
      [1000, 8000],
      [5000, 8000],
    ]);
    const y = resample(x, 16000, 8000);
    assert.equal(y.length, 8000);
    const mid = y.subarray(400, 7600);
    // 1 kHz: 2 crossings per cycle → ~1800 in 0.9 s
    assert.ok(Math.abs(zeroCrossings(mid) - 1800) <= 4, String(zeroCrossings(mid)));
    const keep = goertzel(mid, 1000, 8000);
    assert.ok(Math.abs(keep - 8000) < 80, `1 kHz amplitude ${keep}`);
    // 5 kHz would fold to 3 kHz at 8 kHz sampling.
    const alias = goertzel(mid, 3000, 8000);
    assert.ok(alias < 8000 * 1e-3, `alias at 3 kHz: ${alias}`);
    // Naive decimation (every other sample) would keep the alias at full strength:
    const naive = x.filter((_, i) => i % 2 === 0).subarray(400, 7600);
    assert.ok(goertzel(naive, 3000, 8000) > 4000);
  });
  test('22.05 kHz (espeak-ng) → 8 kHz: flat telephone band, stop band above 4 kHz', () => {
    const measure = (f: number): number => {
      const y = resample(tone(22050, 0.5, [[f, 10000]]), 22050, 8000).subarray(400, 3600);
      return 20 * Math.log10(goertzel(y, f <= 4000 ? f : 8000 - f, 8000) / 10000);
    };
    for (const f of [300, 1000, 3400]) assert.ok(Math.abs(measure(f)) < 0.1, `${f} Hz: ${measure(f)} dB`);
    for (const f of [4300, 5000, 8000]) assert.ok(measure(f) < -60, `${f} Hz: ${measure(f)} dB`);
  });
  test('upsampling 8 → 16 kHz interpolates a tone', () => {
    const y = resample(tone(8000, 0.5, [[700, 9000]]), 8000, 16000);
    assert.equal(y.length, 8000);
    const mid = y.subarray(800, 7200);
    assert.ok(Math.abs(goertzel(mid, 700, 16000) - 9000) < 90);
    assert.ok(goertzel(mid, 16000 - 700 - 8000, 16000) < 9);
  });
  test('odd ratios (phase-quantised path) and identity', () => {
    const x = tone(7999, 0.5, [[440, 9000]]);
    const y = resample(x, 7999, 8000);
    assert.equal(y.length, Math.ceil((x.length * 8000) / 7999));
    assert.ok(Math.abs(goertzel(y.subarray(400, 3600), 440, 8000) - 9000) < 90);
    const same = resample(x, 8000, 8000);
    assert.deepEqual(same, x);
    assert.notEqual(same, x, 'a copy, never the input');
    assert.throws(() => resample(x, 0, 8000), RangeError);
    assert.throws(() => resample(x, 8000, 44.1), RangeError);
  });
  test('does not mutate its input and saturates instead of wrapping', () => {
    const x = new Int16Array(400);
    for (let i = 0; i < x.length; i++) x[i] = i % 2 ? 32767 : -32768; // Nyquist square at full scale
    x.fill(32767, 100, 300);
    const copy = x.slice();
    const y = resample(x, 16000, 8000);
    assert.deepEqual(x, copy);
    assert.ok(y.every((v) => v >= -32768 && v <= 32767));
    assert.ok(y[100]! > 30000, 'a full-scale plateau stays near full scale');
  });
  test('pcmToG711 at 8 kHz is plain encoding', () => {
    const x = tone(8000, 0.02, [[1000, 5000]]);
    assert.deepEqual(pcmToG711(x, 8000, 'PCMU'), encodeUlaw(x));
    assert.equal(pcmToG711(tone(16000, 0.02, [[1000, 5000]]), 16000, 'PCMA').length, 160);
  });
});
