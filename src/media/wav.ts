/**
 * WAV files in and out, plus the resampler that brings prompts to 8 kHz G.711.
 *
 * RIFF/WAVE layout (Microsoft "Multimedia Programming Interface and Data Specifications
 * 1.0", 1991, and the WAVE_FORMAT_EXTENSIBLE amendment): a "RIFF" header, form type
 * "WAVE", then chunks of { id: 4 ASCII, size: u32le, data, pad byte if size is odd }.
 * Only "fmt " and "data" matter here; every other chunk (LIST, fact, cue, …) is skipped.
 */
import {
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  alawToUlaw,
  ulawToAlaw,
} from './codecs/g711.ts';

export class WavError extends Error {
  override readonly name = 'WavError';
}

/** How the samples of the data chunk are stored. */
export type WavFormat = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'ulaw' | 'alaw';
export type G711Codec = 'PCMU' | 'PCMA';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  format: WavFormat;
  /** All channels mixed down to mono, at the file's own rate. */
  pcm: Int16Array;
  /** The data chunk as stored (a view into the input), for lossless pass-through. */
  data: Buffer;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function formatOf(tag: number, bits: number): WavFormat {
  if (tag === WAVE_FORMAT_PCM) {
    if (bits === 8) return 'pcm8';
    if (bits === 16) return 'pcm16';
    if (bits === 24) return 'pcm24';
    if (bits === 32) return 'pcm32';
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT && bits === 32) {
    return 'float32';
  } else if (tag === WAVE_FORMAT_ALAW && bits === 8) {
    return 'alaw';
  } else if (tag === WAVE_FORMAT_MULAW && bits === 8) {
    return 'ulaw';
  }
  throw new WavError(`unsupported WAV format tag 0x${tag.toString(16)} with ${bits} bits per sample`);
}

const BYTES: Record<WavFormat, number> = { pcm8: 1, pcm16: 2, pcm24: 3, pcm32: 4, float32: 4, ulaw: 1, alaw: 1 };

function sampleReader(data: Buffer, format: WavFormat): (i: number) => number {
  switch (format) {
    case 'pcm8':
      // 8-bit WAV PCM is unsigned with 128 as zero.
      return (i) => (data[i]! - 128) << 8;
    case 'pcm16':
      return (i) => data.readInt16LE(i * 2);
    // Wider samples are rounded to 16 bits (not truncated, which would bias by −½ LSB).
    case 'pcm24':
      return (i) => Math.min(32767, (data.readIntLE(i * 3, 3) + 128) >> 8);
    case 'pcm32':
      return (i) => Math.min(32767, Math.floor((data.readInt32LE(i * 4) + 32768) / 65536));
    case 'float32':
      return (i) => data.readFloatLE(i * 4) * 32768;
    case 'ulaw': {
      const d = decodeUlaw(data);
      return (i) => d[i]!;
    }
    case 'alaw': {
      const d = decodeAlaw(data);
      return (i) => d[i]!;
    }
  }
}

export function readWav(buf: Buffer): WavAudio {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavError('not a RIFF/WAVE file');
  }
  let fmt: { format: WavFormat; channels: number; sampleRate: number; blockAlign: number } | undefined;
  let data: Buffer | undefined;
  let o = 12;
  while (o + 8 <= buf.length) {
    const id = buf.toString('latin1', o, o + 4);
    const size = buf.readUInt32LE(o + 4);
    const body = o + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > buf.length) throw new WavError(`fmt chunk of ${size} bytes is truncated`);
      let tag = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const sampleRate = buf.readUInt32LE(body + 4);
      const blockAlign = buf.readUInt16LE(body + 12);
      const bits = buf.readUInt16LE(body + 14);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) SubFormat GUID(16),
        // whose first two bytes are the real format tag.
        if (size < 40) throw new WavError('WAVE_FORMAT_EXTENSIBLE fmt chunk too short');
        tag = buf.readUInt16LE(body + 24);
      }
      const format = formatOf(tag, bits);
      if (channels === 0) throw new WavError('WAV declares zero channels');
      if (sampleRate === 0) throw new WavError('WAV declares a zero sample rate');
      if (blockAlign !== channels * BYTES[format]) {
        throw new WavError(`WAV block align ${blockAlign} does not match ${channels} × ${bits}-bit samples`);
      }
      fmt = { format, channels, sampleRate, blockAlign };
    } else if (id === 'data') {
      // NOTE: a recorder that died before patching its header leaves size 0 or
      // 0xFFFFFFFF; take what is there rather than refuse the file.
      const end = size === 0 || body + size > buf.length ? buf.length : body + size;
      data = buf.subarray(body, end);
      if (fmt) break;
    }
    // Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
    o = body + size + (size & 1);
  }
  if (!fmt) throw new WavError('WAV has no fmt chunk');
  if (!data) throw new WavError('WAV has no data chunk');
  const frames = Math.floor(data.length / fmt.blockAlign);
  data = data.subarray(0, frames * fmt.blockAlign);
  const read = sampleReader(data, fmt.format);
  const pcm = new Int16Array(frames);
  const ch = fmt.channels;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < ch; c++) sum += read(f * ch + c);
    const v = Math.round(sum / ch);
    pcm[f] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return { sampleRate: fmt.sampleRate, channels: ch, format: fmt.format, pcm, data };
}

// ---------------------------------------------------------------------------------------
// Resampling
//
// A windowed-sinc interpolator (J. O. Smith, "Digital Audio Resampling"), evaluated as a
// polyphase filter: for a ratio to/from = L/M in lowest terms, output sample n sits at
// input position n·M/L, whose fractional part is one of L phases; each phase gets its own
// precomputed set of taps. The low-pass cutoff is 0.46 × the lower of the two rates
// (3.68 kHz when going to 8 kHz), with a Kaiser window (β = 7, ≈ 70 dB stop band) over 32
// zero crossings each side, so the stop band begins at about the output Nyquist
// frequency and nothing above 4 kHz folds back into the telephone band. Ratios with more
// than 1024 phases (odd rates) use the nearest of 1024 phases, an error below −60 dB.

const ZERO_CROSSINGS = 32;
const KAISER_BETA = 7;
const CUTOFF = 0.46;
const MAX_PHASES = 1024;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

interface Polyphase {
  phases: number;
  /** Taps per phase. */
  width: number;
  /** Offset of the first tap relative to floor(position). */
  first: number;
  /** phases × width coefficients. */
  taps: Float32Array;
}

const filterCache = new Map<string, Polyphase>();

function polyphase(from: number, to: number, phases: number): Polyphase {
  const key = `${from}:${to}:${phases}`;
  const cached = filterCache.get(key);
  if (cached) return cached;
  // Cutoff in cycles per input sample.
  const fc = (CUTOFF * Math.min(from, to)) / from;
  const half = ZERO_CROSSINGS / (2 * fc); // half-width in input samples
  const first = -Math.floor(half);
  const width = 2 * Math.floor(half) + 2;
  const taps = new Float32Array(phases * width);
  const i0b = besselI0(KAISER_BETA);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const x = first + k - frac; // input sample position minus output position
      let h = 0;
      if (Math.abs(x) < half) {
        const r = x / half;
        const w = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0b;
        const a = 2 * fc * x;
        h = (a === 0 ? 1 : Math.sin(Math.PI * a) / (Math.PI * a)) * 2 * fc * w;
      }
      taps[p * width + k] = h;
      sum += h;
    }
    // Normalise each phase to unity DC gain so that resampling adds no ripple to
    // constant signals.
    for (let k = 0; k < width; k++) taps[p * width + k]! /= sum;
  }
  const f: Polyphase = { phases, width, first, taps };
  if (filterCache.size > 32) filterCache.clear();
  filterCache.set(key, f);
  return f;
}

/**
 * Band-limited sample-rate conversion of mono 16-bit audio (see the note above).
 * Output length is ceil(input length × to / from). The signal is treated as zero
 * outside the input, so the first and last ~2 ms fade in and out.
 */
export function resample(pcm: Int16Array, from: number, to: number): Int16Array {
  if (!(Number.isInteger(from) && from > 0 && Number.isInteger(to) && to > 0)) {
    throw new RangeError(`sample rates must be positive integers, got ${from} → ${to}`);
  }
  if (from === to) return pcm.slice();
  const g = gcd(from, to);
  const L = to / g; // output step is M/L input samples
  const M = from / g;
  const phases = Math.min(L, MAX_PHASES);
  const f = polyphase(from, to, phases);
  const n = Math.ceil((pcm.length * L) / M);
  const out = new Int16Array(n);
  const len = pcm.length;
  const { width, first, taps } = f;
  for (let j = 0; j < n; j++) {
    // Position j·M/L in exact integer arithmetic: base + num/L.
    const t = j * M;
    const base = Math.floor(t / L);
    const num = t - base * L;
    let p = num;
    let b = base;
    if (phases !== L) {
      p = Math.round((num / L) * phases);
      if (p === phases) {
        // Rounded up to a whole sample: phase 0 of the next input position.
        p = 0;
        b++;
      }
    }
    const to0 = p * width;
    let acc = 0;
    const start = b + first;
    if (start >= 0 && start + width <= len) {
      for (let k = 0; k < width; k++) acc += pcm[start + k]! * taps[to0 + k]!;
    } else {
      for (let k = 0; k < width; k++) {
        const i = start + k;
        if (i >= 0 && i < len) acc += pcm[i]! * taps[to0 + k]!;
      }
    }
    const v = Math.round(acc);
    out[j] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Mono 16-bit PCM at any rate to 8 kHz G.711 bytes. */
export function pcmToG711(pcm: Int16Array, sampleRate: number, codec: G711Codec): Buffer {
  const at8k = sampleRate === 8000 ? pcm : resample(pcm, sampleRate, 8000);
  return codec === 'PCMU' ? encodeUlaw(at8k) : encodeAlaw(at8k);
}

/**
 * A WAV file to 8 kHz mono G.711 bytes, ready to packetize 160 per 20 ms. An 8 kHz mono
 * G.711 file passes through untouched (or table-transcoded to the other law).
 */
export function toG711(buf: Buffer, codec: G711Codec): Buffer {
  const w = readWav(buf);
  if (w.sampleRate === 8000 && w.channels === 1) {
    if (w.format === 'ulaw') return codec === 'PCMU' ? Buffer.from(w.data) : ulawToAlaw(w.data);
    if (w.format === 'alaw') return codec === 'PCMA' ? Buffer.from(w.data) : alawToUlaw(w.data);
  }
  return pcmToG711(w.pcm, w.sampleRate, codec);
}

// ---------------------------------------------------------------------------------------
// Writing

export interface WavWriteOptions {
  sampleRate: number;
  channels: number;
  format: 'pcm16' | 'ulaw' | 'alaw';
}

/** Header bytes before the sample data for a format (44 for PCM, 58 for G.711). */
export function wavHeaderSize(format: WavWriteOptions['format']): number {
  return format === 'pcm16' ? 44 : 58;
}

/**
 * The header for dataBytes bytes of samples. Recorders write it first with dataBytes 0,
 * append samples, then write it again at offset 0 with the final count (same length),
 * plus one zero pad byte after the data if the count is odd (RIFF word alignment).
 * Non-PCM formats carry cbSize and a "fact" chunk, as the WAVE spec requires.
 */
export function wavHeader(opts: WavWriteOptions & { dataBytes: number }): Buffer {
  const { sampleRate, channels, format, dataBytes } = opts;
  if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff) throw new RangeError(`bad channel count ${channels}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`bad sample rate ${sampleRate}`);
  const bytesPerSample = format === 'pcm16' ? 2 : 1;
  const blockAlign = channels * bytesPerSample;
  const pcm = format === 'pcm16';
  const size = wavHeaderSize(format);
  const h = Buffer.alloc(size);
  const pad = dataBytes & 1;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, size - 8 + dataBytes + pad), 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(pcm ? 16 : 18, 16);
  h.writeUInt16LE(pcm ? WAVE_FORMAT_PCM : format === 'ulaw' ? WAVE_FORMAT_MULAW : WAVE_FORMAT_ALAW, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bytesPerSample * 8, 34);
  let o = 36;
  if (!pcm) {
    h.writeUInt16LE(0, 36); // cbSize
    h.write('fact', 38, 'latin1');
    h.writeUInt32LE(4, 42);
    h.writeUInt32LE(Math.floor(dataBytes / blockAlign), 46);
    o = 50;
  }
  h.write('data', o, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, dataBytes), o + 4);
  return h;
}

/** A complete WAV file around already-encoded sample bytes (interleaved if multi-channel). */
export function writeWav(opts: WavWriteOptions & { data: Buffer }): Buffer {
  const header = wavHeader({ ...opts, dataBytes: opts.data.length });
  const parts = [header, opts.data];
  if (opts.data.length & 1) parts.push(Buffer.alloc(1));
  return Buffer.concat(parts);
}

/** 16-bit little-endian bytes of PCM samples, for writeWav. */
export function pcm16Bytes(pcm: Int16Array): Buffer {
  const b = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i]!, i * 2);
  return b;
}
