/**
 * Signalling tones synthesized as 8 kHz G.711 — no files. The beep before a recording
 * (voicemail: "leave your message after the tone") is 1 kHz for 300 ms at -10 dBFS, the
 * tone answering machines use, with 5 ms raised-cosine edges so it starts and stops
 * without a click. Pure functions: the same arguments give the same bytes.
 */
import { encodeAlaw, encodeUlaw } from './codecs/g711.ts';
import type { G711Codec } from './bridge.ts';

export const SAMPLE_RATE = 8000;

export interface ToneOptions {
  readonly frequencyHz?: number;
  readonly ms?: number;
  /** Peak level in dBFS (0 = full scale). */
  readonly levelDbfs?: number;
  /** Raised-cosine fade in and out, ms. */
  readonly edgeMs?: number;
}

/** 16-bit PCM of a sine tone with soft edges. */
export function tonePcm(opts: ToneOptions = {}): Int16Array {
  const f = opts.frequencyHz ?? 1000;
  const n = Math.round(((opts.ms ?? 300) * SAMPLE_RATE) / 1000);
  const peak = 32767 * 10 ** ((opts.levelDbfs ?? -10) / 20);
  const edge = Math.min(Math.floor(n / 2), Math.round(((opts.edgeMs ?? 5) * SAMPLE_RATE) / 1000));
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let gain = 1;
    if (i < edge) gain = 0.5 - 0.5 * Math.cos((Math.PI * i) / edge);
    else if (i >= n - edge) gain = 0.5 - 0.5 * Math.cos((Math.PI * (n - 1 - i)) / edge);
    out[i] = Math.round(peak * gain * Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE));
  }
  return out;
}

export function toneG711(codec: G711Codec, opts: ToneOptions = {}): Buffer {
  const pcm = tonePcm(opts);
  return codec === 'PCMU' ? encodeUlaw(pcm) : encodeAlaw(pcm);
}

/** The beep before a recording: 1 kHz, 300 ms, -10 dBFS. */
export function beep(codec: G711Codec): Buffer {
  return toneG711(codec, { frequencyHz: 1000, ms: 300, levelDbfs: -10 });
}
