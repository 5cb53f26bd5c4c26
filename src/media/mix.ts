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

/** A leg as a source of heard audio: its inbound frame of a playout period, if any. */
export interface FrameSource {
  inboundFrame(period: number): boolean;
  readonly inFrame: Uint8Array;
  readonly codec: G711Codec;
}

/**
 * What a leg sends for `period` when it plays nothing: its bridge peer's frame (copied, as a
 * plain bridge), or that mixed with the extras' frames (supervision), or silence. `scratch`
 * is the caller's reusable list.
 */
export function writeHeard(peer: FrameSource | undefined, extras: readonly FrameSource[], scratch: MixSource[], out: Uint8Array, offset: number, codec: G711Codec, period: number): void {
  if (extras.length === 0) {
    // A plain bridge: a byte copy, no allocation on the playout tick.
    if (peer && peer.inboundFrame(period)) copyFrame(peer.inFrame, 0, FRAME_BYTES, out, offset, transcodeTable(peer.codec, codec));
    else out.fill(silenceByte(codec), offset, offset + FRAME_BYTES);
    return;
  }
  scratch.length = 0;
  if (peer && peer.inboundFrame(period)) scratch.push({ frame: peer.inFrame, codec: peer.codec });
  for (const o of extras) if (o.inboundFrame(period)) scratch.push({ frame: o.inFrame, codec: o.codec });
  mixFrames(scratch, out, offset, codec);
}

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
