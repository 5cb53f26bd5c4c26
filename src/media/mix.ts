/**
 * Mixing G.711 frames for supervision (C11: listen, whisper, barge): each source's 20 ms
 * frame is decoded to linear PCM (G.711 cannot be summed as bytes), summed with clipping
 * to 16 bits, and encoded in the receiving leg's law. One source is copied through (with
 * the law's table when it differs), so a plain bridge costs no more than before.
 */
import { ALAW_DECODE, ULAW_DECODE, alawEncodeSample, ulawEncodeSample } from './codecs/g711.ts';
import { FRAME_BYTES, copyFrame, silenceByte, transcodeTable, type G711Codec } from './bridge.ts';

export interface MixSource {
  readonly frame: Uint8Array;
  readonly codec: G711Codec;
}

const acc = new Int32Array(FRAME_BYTES);

/** Writes FRAME_BYTES of `codec` at out[offset]: the sum of the sources, or silence when none. */
export function mixFrames(sources: readonly MixSource[], out: Uint8Array, offset: number, codec: G711Codec): void {
  if (sources.length === 0) {
    out.fill(silenceByte(codec), offset, offset + FRAME_BYTES);
    return;
  }
  if (sources.length === 1) {
    const s = sources[0]!;
    copyFrame(s.frame, 0, FRAME_BYTES, out, offset, transcodeTable(s.codec, codec));
    return;
  }
  acc.fill(0);
  for (const s of sources) {
    const dec = s.codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
    for (let i = 0; i < FRAME_BYTES; i++) acc[i]! += dec[s.frame[i]!]!;
  }
  const enc = codec === 'PCMU' ? ulawEncodeSample : alawEncodeSample;
  for (let i = 0; i < FRAME_BYTES; i++) {
    const v = acc[i]!;
    out[offset + i] = enc(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
  }
}
