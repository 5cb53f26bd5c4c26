/**
 * Music on hold, synthesized: a calm eight-bar pentatonic melody (C major pentatonic, so
 * no note clashes with another) played with a soft bell-like timbre — fundamental plus
 * quieter 2nd and 3rd harmonics, a 25 ms raised-cosine attack, an exponential decay and a
 * raised-cosine release that reaches silence at the end of every note. No files, no
 * licences: a pure function of the codec, the same bytes every time.
 *
 * Looping: the buffer is a whole number of 20 ms frames and ends (and starts) in
 * silence, so the media engine's `loop` plays it back to back with no seam or click.
 * Level: peaks near -12 dBFS, quieter than prompts, so an announcement over the music
 * stands out.
 */
import { encodeAlaw, encodeUlaw } from './codecs/g711.ts';
import type { G711Codec } from './bridge.ts';

export const SAMPLE_RATE = 8000;
/** 20 ms at 8 kHz: the loop is a whole number of RTP frames. */
export const FRAME_SAMPLES = 160;

/** One note: frequency in Hz (0 = rest) and length in beats. */
export interface Note {
  readonly hz: number;
  readonly beats: number;
}

const C4 = 261.63;
const D4 = 293.66;
const E4 = 329.63;
const G4 = 392.0;
const A4 = 440.0;
const C5 = 523.25;

/** The melody: two four-bar phrases, question and answer, ending on the tonic. */
export const MELODY: readonly Note[] = [
  { hz: E4, beats: 1 }, { hz: G4, beats: 1 }, { hz: A4, beats: 1 }, { hz: G4, beats: 1 },
  { hz: E4, beats: 2 }, { hz: D4, beats: 2 },
  { hz: C4, beats: 1 }, { hz: D4, beats: 1 }, { hz: E4, beats: 1 }, { hz: G4, beats: 1 },
  { hz: A4, beats: 3 }, { hz: 0, beats: 1 },
  { hz: C5, beats: 1 }, { hz: A4, beats: 1 }, { hz: G4, beats: 1 }, { hz: E4, beats: 1 },
  { hz: G4, beats: 2 }, { hz: A4, beats: 2 },
  { hz: G4, beats: 1 }, { hz: E4, beats: 1 }, { hz: D4, beats: 1 }, { hz: E4, beats: 1 },
  { hz: C4, beats: 3 }, { hz: 0, beats: 1 },
];

/** 500 ms a beat (120 bpm): 4000 samples, 25 frames — every note ends on a frame boundary. */
export const BEAT_MS = 500;
const PEAK = 32767 * 10 ** (-12 / 20);
const ATTACK_MS = 25;
const RELEASE_MS = 60;

/** The melody as 16-bit PCM at 8 kHz. */
export function mohPcm(melody: readonly Note[] = MELODY, beatMs = BEAT_MS): Int16Array {
  const beatSamples = Math.round((beatMs * SAMPLE_RATE) / 1000 / FRAME_SAMPLES) * FRAME_SAMPLES;
  const total = melody.reduce((n, note) => n + note.beats * beatSamples, 0);
  const out = new Int16Array(total);
  const attack = (ATTACK_MS * SAMPLE_RATE) / 1000;
  const release = (RELEASE_MS * SAMPLE_RATE) / 1000;
  let at = 0;
  for (const note of melody) {
    const n = note.beats * beatSamples;
    if (note.hz > 0) {
      const w = (2 * Math.PI * note.hz) / SAMPLE_RATE;
      // Decay to about a third over the note, whatever its length: long notes ring softly.
      const tau = n / 1.1;
      for (let i = 0; i < n; i++) {
        let env = Math.exp(-i / tau);
        if (i < attack) env *= 0.5 - 0.5 * Math.cos((Math.PI * i) / attack);
        const left = n - 1 - i;
        if (left < release) env *= 0.5 - 0.5 * Math.cos((Math.PI * left) / release);
        const s = Math.sin(w * i) + 0.3 * Math.sin(2 * w * i) + 0.1 * Math.sin(3 * w * i);
        out[at + i] = Math.round((PEAK / 1.3) * env * s);
      }
    }
    at += n;
  }
  return out;
}

const cache = new Map<G711Codec, Buffer>();

/** The music-on-hold loop in a G.711 law; play it with `loop: true`. Do not modify the returned buffer. */
export function musicOnHold(codec: G711Codec): Buffer {
  let buf = cache.get(codec);
  if (!buf) {
    const pcm = mohPcm();
    buf = codec === 'PCMU' ? encodeUlaw(pcm) : encodeAlaw(pcm);
    cache.set(codec, buf);
  }
  return buf;
}

/** Prompt id under which callers load the loop into the media engine (loadPrompt(MOH_PROMPT_ID, 'PCMU', musicOnHold('PCMU'))). */
export const MOH_PROMPT_ID = 'surgeline:moh';
