/**
 * ITU-T G.711 µ-law and A-law companding.
 *
 * The segment arithmetic follows the ITU-T G.191 STL reference (and the classic Sun
 * g711.c it shares with most VoIP stacks): µ-law quantises the 14 most significant bits
 * with a bias of 33, A-law the 13 most significant bits, both truncating, so each
 * decoded value is the midpoint of its quantisation interval. Decoding uses
 * precomputed 256-entry tables; encoding uses 64 Ki-entry tables indexed by the 16-bit
 * sample (two 64 KB tables, built once at import in well under a millisecond), so the
 * per-packet path is one table load per sample.
 */

/** µ-law code for digital silence (+0). */
export const ULAW_SILENCE = 0xff;
/** A-law code for the smallest positive level (+8): G.711 has no exact zero. */
export const ALAW_SILENCE = 0xd5;

// G.711 Table 2a / 2b segment end points, in the quantiser's own domain.
const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;
const ULAW_BIAS = 0x84;
const ULAW_CLIP = 8159; // 14-bit magnitude that still fits after adding the bias

function segment(v: number, ends: readonly number[]): number {
  for (let i = 0; i < 8; i++) if (v <= ends[i]!) return i;
  return 8;
}

function ulawEncodeSlow(sample: number): number {
  let v: number;
  let mask: number;
  if (sample < 0) {
    // One's complement as in the ITU-T G.191 STL (ulaw_compress), so that x and ~x map to
    // mirror codes. NOTE: Sun's g711.c negates instead, which sends -1..-4 to -8.
    v = ~sample >> 2;
    mask = 0x7f;
  } else {
    v = sample >> 2;
    mask = 0xff;
  }
  if (v > ULAW_CLIP) v = ULAW_CLIP;
  v += ULAW_BIAS >> 2;
  const seg = segment(v, SEG_UEND);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

function ulawDecodeSlow(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + ULAW_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

function alawEncodeSlow(sample: number): number {
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    // One's complement, so that -1..-8 lands in the first negative step rather than zero.
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, SEG_AEND);
  if (seg >= 8) return 0x7f ^ mask;
  const mant = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | mant) ^ mask;
}

function alawDecodeSlow(code: number): number {
  // G.711 §A: even bits are inverted on the line (the 0x55 pattern).
  const a = (code ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** Decoded 16-bit linear value for each µ-law code. */
export const ULAW_DECODE: Int16Array = new Int16Array(256);
/** Decoded 16-bit linear value for each A-law code. */
export const ALAW_DECODE: Int16Array = new Int16Array(256);
const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
const ULAW_TO_ALAW = new Uint8Array(256);
const ALAW_TO_ULAW = new Uint8Array(256);

for (let c = 0; c < 256; c++) {
  ULAW_DECODE[c] = ulawDecodeSlow(c);
  ALAW_DECODE[c] = alawDecodeSlow(c);
}
for (let i = 0; i < 65536; i++) {
  const s = (i << 16) >> 16; // index is the sample's two's-complement bit pattern
  ULAW_ENCODE[i] = ulawEncodeSlow(s);
  ALAW_ENCODE[i] = alawEncodeSlow(s);
}
// Transcoding through the linear domain picks the target level nearest the source level.
// NOTE: G.711 Tables 3/4 (as copied into Sun's g711.c) differ from this by one step for
// about a fifth of the codes, and the copies in circulation disagree with each other;
// neither route is transparent both ways, since each law has levels the other lacks.
for (let c = 0; c < 256; c++) {
  ULAW_TO_ALAW[c] = ALAW_ENCODE[ULAW_DECODE[c]! & 0xffff]!;
  ALAW_TO_ULAW[c] = ULAW_ENCODE[ALAW_DECODE[c]! & 0xffff]!;
}

function toInt16(s: number): number {
  if (s >= 32767) return 32767;
  if (s <= -32768) return -32768;
  return Math.round(s) | 0;
}

export function ulawEncodeSample(s: number): number {
  return ULAW_ENCODE[toInt16(s) & 0xffff]!;
}

export function ulawDecodeSample(b: number): number {
  return ULAW_DECODE[b & 0xff]!;
}

export function alawEncodeSample(s: number): number {
  return ALAW_ENCODE[toInt16(s) & 0xffff]!;
}

export function alawDecodeSample(b: number): number {
  return ALAW_DECODE[b & 0xff]!;
}

/** Encode into a caller-provided buffer (allocation-free); returns bytes written. */
export function encodeUlawTo(pcm: Int16Array, out: Uint8Array, offset = 0): number {
  const n = pcm.length;
  for (let i = 0; i < n; i++) out[offset + i] = ULAW_ENCODE[pcm[i]! & 0xffff]!;
  return n;
}

/** Encode into a caller-provided buffer (allocation-free); returns bytes written. */
export function encodeAlawTo(pcm: Int16Array, out: Uint8Array, offset = 0): number {
  const n = pcm.length;
  for (let i = 0; i < n; i++) out[offset + i] = ALAW_ENCODE[pcm[i]! & 0xffff]!;
  return n;
}

/** Decode into a caller-provided array (allocation-free); returns samples written. */
export function decodeUlawTo(buf: Uint8Array, out: Int16Array, offset = 0): number {
  const n = buf.length;
  for (let i = 0; i < n; i++) out[offset + i] = ULAW_DECODE[buf[i]!]!;
  return n;
}

/** Decode into a caller-provided array (allocation-free); returns samples written. */
export function decodeAlawTo(buf: Uint8Array, out: Int16Array, offset = 0): number {
  const n = buf.length;
  for (let i = 0; i < n; i++) out[offset + i] = ALAW_DECODE[buf[i]!]!;
  return n;
}

export function encodeUlaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  encodeUlawTo(pcm, out);
  return out;
}

export function encodeAlaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  encodeAlawTo(pcm, out);
  return out;
}

export function decodeUlaw(buf: Uint8Array): Int16Array {
  const out = new Int16Array(buf.length);
  decodeUlawTo(buf, out);
  return out;
}

export function decodeAlaw(buf: Uint8Array): Int16Array {
  const out = new Int16Array(buf.length);
  decodeAlawTo(buf, out);
  return out;
}

export function ulawToAlaw(buf: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = ULAW_TO_ALAW[buf[i]!]!;
  return out;
}

export function alawToUlaw(buf: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = ALAW_TO_ULAW[buf[i]!]!;
  return out;
}
