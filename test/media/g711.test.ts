import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import {
  ULAW_SILENCE,
  ALAW_SILENCE,
  ULAW_DECODE,
  ALAW_DECODE,
  ulawEncodeSample,
  ulawDecodeSample,
  alawEncodeSample,
  alawDecodeSample,
  encodeUlaw,
  decodeUlaw,
  encodeAlaw,
  decodeAlaw,
  encodeUlawTo,
  ulawToAlaw,
  alawToUlaw,
} from '../../src/media/codecs/g711.ts';

const hasSox = existsSync('/usr/bin/sox');
const ALL_CODES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ALL_SAMPLES = new Int16Array(65536).map((_, i) => i - 32768);

function sox(args: string[], input: Buffer): Buffer {
  return execFileSync('sox', args, { input, maxBuffer: 1 << 20 });
}

function pcmToBuffer(pcm: Int16Array): Buffer {
  const b = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i]!, i * 2);
  return b;
}

describe('G.711 known values', () => {
  test('µ-law', () => {
    assert.equal(ulawDecodeSample(0x00), -32124);
    assert.equal(ulawDecodeSample(0x80), 32124);
    assert.equal(ulawDecodeSample(0xff), 0);
    assert.equal(ulawDecodeSample(0x7f), 0);
    assert.equal(ulawDecodeSample(0xfe), 8);
    assert.equal(ulawDecodeSample(0x7e), -8);
    assert.equal(ulawDecodeSample(0xf0), 120 + 8 * 15 - 120); // segment 0 top: 15 steps of 8
    assert.equal(ulawEncodeSample(0), ULAW_SILENCE);
    assert.equal(ulawEncodeSample(32767), 0x80);
    assert.equal(ulawEncodeSample(-32768), 0x00);
    assert.equal(ulawEncodeSample(1e9), 0x80, 'clamps');
    assert.equal(ulawEncodeSample(-1), 0x7f, 'one’s-complement negative zero, as in G.191');
  });
  test('A-law', () => {
    assert.equal(alawDecodeSample(0xd5), 8);
    assert.equal(alawDecodeSample(0x55), -8);
    assert.equal(alawDecodeSample(0xaa), 32256);
    assert.equal(alawDecodeSample(0x2a), -32256);
    assert.equal(alawEncodeSample(0), ALAW_SILENCE);
    assert.equal(alawEncodeSample(-1), 0x55);
    assert.equal(alawEncodeSample(32767), 0xaa);
    assert.equal(alawEncodeSample(-32768), 0x2a);
  });
});

describe('G.711 identities', () => {
  test('decode∘encode∘decode = decode over all 256 codes', () => {
    for (let c = 0; c < 256; c++) {
      assert.equal(ulawDecodeSample(ulawEncodeSample(ulawDecodeSample(c))), ulawDecodeSample(c));
      assert.equal(alawDecodeSample(alawEncodeSample(alawDecodeSample(c))), alawDecodeSample(c));
      // Every A-law code is its own fixed point; µ-law only folds -0 (0x7f) onto +0 (0xff).
      assert.equal(alawEncodeSample(alawDecodeSample(c)), c);
      assert.equal(ulawEncodeSample(ulawDecodeSample(c)), c === 0x7f ? 0xff : c);
    }
  });
  test('decoded levels are strictly monotone in code order', () => {
    // µ-law: codes 0x00..0x7f run from -32124 up to -0, 0xff..0x80 from +0 up to +32124.
    for (let c = 0; c < 0x7f; c++) assert.ok(ULAW_DECODE[c]! < ULAW_DECODE[c + 1]!);
    for (let c = 0xff; c > 0x80; c--) assert.ok(ULAW_DECODE[c]! < ULAW_DECODE[c - 1]!);
  });
  test('encoder is monotone and its error is within half a quantisation step', () => {
    let prevU = -Infinity;
    let prevA = -Infinity;
    for (const s of ALL_SAMPLES) {
      const du = ulawDecodeSample(ulawEncodeSample(s));
      const da = alawDecodeSample(alawEncodeSample(s));
      assert.ok(du >= prevU && da >= prevA, `monotone at ${s}`);
      prevU = du;
      prevA = da;
      // Step sizes in the 16-bit domain: µ-law 8·2^seg; A-law 16·2^max(seg-1,0).
      const mu = Math.abs(du);
      const stepU = mu < 8 ? 8 : 8 << Math.min(7, Math.floor(Math.log2((mu + 132) / 132)));
      if (Math.abs(s) < 32124) assert.ok(Math.abs(du - s) <= stepU / 2 + 4, `µ-law error at ${s}: ${du}`);
      const ma = Math.abs(da);
      const stepA = ma < 256 ? 16 : 16 << Math.floor(Math.log2(ma / 256));
      if (Math.abs(s) < 32256) assert.ok(Math.abs(da - s) <= stepA / 2 + 1, `A-law error at ${s}: ${da}`);
    }
  });
  test('buffer forms agree with sample forms, do not mutate input, fill at an offset', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 400 }), (xs) => {
        const pcm = Int16Array.from(xs);
        const copy = pcm.slice();
        const u = encodeUlaw(pcm);
        const a = encodeAlaw(pcm);
        assert.deepEqual(pcm, copy);
        for (let i = 0; i < xs.length; i++) {
          assert.equal(u[i], ulawEncodeSample(xs[i]!));
          assert.equal(a[i], alawEncodeSample(xs[i]!));
        }
        assert.deepEqual(decodeUlaw(u), Int16Array.from(u, ulawDecodeSample));
        assert.deepEqual(decodeAlaw(a), Int16Array.from(a, alawDecodeSample));
        const out = Buffer.alloc(xs.length + 3, 0xee);
        assert.equal(encodeUlawTo(pcm, out, 3), xs.length);
        assert.deepEqual(out.subarray(3), u);
        assert.deepEqual(out.subarray(0, 3), Buffer.from([0xee, 0xee, 0xee]));
      }),
    );
  });
  test('µ↔A transcoding equals decode then encode and keeps the sign and silence', () => {
    const ua = ulawToAlaw(ALL_CODES);
    const au = alawToUlaw(ALL_CODES);
    for (let c = 0; c < 256; c++) {
      assert.equal(ua[c], alawEncodeSample(ulawDecodeSample(c)));
      assert.equal(au[c], ulawEncodeSample(alawDecodeSample(c)));
      const lu = ulawDecodeSample(c);
      if (lu !== 0) assert.equal(Math.sign(alawDecodeSample(ua[c]!)), Math.sign(lu));
      assert.equal(Math.sign(ulawDecodeSample(au[c]!)), Math.sign(alawDecodeSample(c)));
    }
    assert.equal(ua[ULAW_SILENCE], ALAW_SILENCE);
    assert.equal(ulawDecodeSample(au[ALAW_SILENCE]!), 8);
    // Round trips move a level by at most one step of the coarser law.
    const aua = ulawToAlaw(au);
    for (let c = 0; c < 256; c++) assert.ok(Math.abs((aua[c]! ^ 0x55) - (c ^ 0x55)) <= 1, `A→µ→A ${c}`);
  });
});

describe('G.711 against sox (an independent implementation)', { skip: !hasSox && 'sox missing' }, () => {
  test('decode tables equal sox’s decoders for all 256 codes', () => {
    const u = sox(['-t', 'ul', '-r', '8000', '-c', '1', '-', '-t', 's16', '-'], ALL_CODES);
    const a = sox(['-t', 'al', '-r', '8000', '-c', '1', '-', '-t', 's16', '-'], ALL_CODES);
    for (let c = 0; c < 256; c++) {
      assert.equal(ULAW_DECODE[c], u.readInt16LE(c * 2), `µ-law ${c}`);
      assert.equal(ALAW_DECODE[c], a.readInt16LE(c * 2), `A-law ${c}`);
    }
  });
  test('encoders equal sox’s for all 65536 samples, modulo sox’s documented input rounding', () => {
    const input = pcmToBuffer(ALL_SAMPLES);
    const su = sox(['-D', '-t', 's16', '-r', '8000', '-c', '1', '-', '-t', 'ul', '-'], input);
    const sa = sox(['-D', '-t', 's16', '-r', '8000', '-c', '1', '-', '-t', 'al', '-'], input);
    for (let i = 0; i < 65536; i++) {
      const s = ALL_SAMPLES[i]!;
      // sox rounds to 14 (µ) / 13 (A) bits before the truncating quantiser, and its µ-law
      // negates negative inputs (Sun g711.c) where G.191 takes the one's complement.
      let v14 = Math.min((s + 2) >> 2, 8191);
      if (v14 < 0) v14 -= 1;
      const v13 = Math.min((s + 4) >> 3, 4095);
      assert.equal(ulawEncodeSample(v14 * 4), su[i], `µ-law ${s}`);
      assert.equal(alawEncodeSample(v13 * 8), sa[i], `A-law ${s}`);
    }
  });
});
