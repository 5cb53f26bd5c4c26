/**
 * What a bridge needs between two legs: a small jitter FIFO of inbound G.711 bytes per
 * leg (filled as packets arrive, drained one 20 ms frame per playout tick, so forwarded
 * audio is re-timed onto the receiving leg's own clock), and byte tables for PCMU↔PCMA.
 *
 * Each leg keeps its own SSRC, sequence numbers and timestamps (RFC 3550 §7.1: an
 * endpoint that mixes or re-times is the synchronisation source of what it sends), so
 * the far end sees one continuous stream from us whatever the other side does: when it
 * sends nothing, the FIFO underruns and the leg sends comfort frames instead.
 */
import { ALAW_SILENCE, ULAW_SILENCE, alawToUlaw, ulawToAlaw } from './codecs/g711.ts';

export type G711Codec = 'PCMU' | 'PCMA';

/** 20 ms of 8 kHz G.711. */
export const FRAME_BYTES = 160;

export function silenceByte(codec: G711Codec): number {
  return codec === 'PCMU' ? ULAW_SILENCE : ALAW_SILENCE;
}

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
/** Byte-for-byte transcoding tables (the same mapping as g711.ts's ulawToAlaw/alawToUlaw). */
export const ULAW_TO_ALAW_TABLE: Uint8Array = new Uint8Array(ulawToAlaw(ALL_CODES));
export const ALAW_TO_ULAW_TABLE: Uint8Array = new Uint8Array(alawToUlaw(ALL_CODES));

/** The table that turns `from` bytes into `to` bytes, or undefined when they are the same law. */
export function transcodeTable(from: G711Codec, to: G711Codec): Uint8Array | undefined {
  if (from === to) return undefined;
  return from === 'PCMU' ? ULAW_TO_ALAW_TABLE : ALAW_TO_ULAW_TABLE;
}

/** Copies src[from, to) into out at offset, through `table` when given. */
export function copyFrame(src: Uint8Array, from: number, to: number, out: Uint8Array, offset: number, table: Uint8Array | undefined): void {
  if (!table) {
    out.set(src.subarray(from, to), offset);
    return;
  }
  for (let i = from, o = offset; i < to; i++, o++) out[o] = table[src[i]!]!;
}

export interface FrameFifoOptions {
  /** Frames buffered before playing out after an underrun (absorbs arrival jitter). */
  prefillFrames?: number;
  /** Beyond this many frames the oldest are dropped back to prefillFrames (bounds delay). */
  maxFrames?: number;
}

/**
 * A ring of inbound payload bytes. Packets may carry any multiple of 10 ms; the reader
 * always takes 160 bytes. Sequence numbers drop late and duplicate packets; a lost packet
 * simply leaves the FIFO shorter (the reader then underruns to silence).
 */
export class FrameFifo {
  private readonly buf: Uint8Array;
  private readonly cap: number;
  private readonly prefill: number;
  private readonly max: number;
  private head = 0; // read position
  private size = 0;
  private filling = true;
  private lastSeq = -1;
  /** Frames replaced by silence because nothing had arrived. */
  underruns = 0;
  /** Bytes dropped to keep the delay bounded. */
  droppedBytes = 0;
  /** Packets dropped as late or duplicate. */
  latePackets = 0;

  constructor(options: FrameFifoOptions = {}) {
    this.prefill = (options.prefillFrames ?? 2) * FRAME_BYTES;
    this.max = (options.maxFrames ?? 8) * FRAME_BYTES;
    this.cap = this.max + 4 * FRAME_BYTES;
    this.buf = new Uint8Array(this.cap);
  }

  get bytes(): number {
    return this.size;
  }

  /** Appends payload[from, to) from the packet with RTP sequence number seq. */
  write(payload: Uint8Array, from: number, to: number, seq: number): void {
    if (this.lastSeq >= 0) {
      // RFC 3550 A.1 style modular comparison: anything not ahead of the last one is late.
      const d = (seq - this.lastSeq) & 0xffff;
      if (d === 0 || d >= 0x8000) {
        this.latePackets++;
        return;
      }
    }
    this.lastSeq = seq;
    let n = to - from;
    if (n > this.cap) {
      from = to - this.cap;
      n = this.cap;
    }
    if (this.size + n > this.cap) this.drop(this.size + n - this.cap);
    const tail = (this.head + this.size) % this.cap;
    const first = Math.min(n, this.cap - tail);
    this.buf.set(payload.subarray(from, from + first), tail);
    if (first < n) this.buf.set(payload.subarray(from + first, to), 0);
    this.size += n;
    if (this.size > this.max) this.drop(this.size - this.prefill);
  }

  /**
   * Reads one frame into out at offset (through table, if given). Returns false, writing
   * nothing, when the FIFO is still prefilling or has run dry.
   */
  read(out: Uint8Array, offset: number, table: Uint8Array | undefined): boolean {
    if (this.filling) {
      if (this.size < this.prefill) return false;
      this.filling = false;
    }
    if (this.size < FRAME_BYTES) {
      this.underruns++;
      this.filling = true;
      return false;
    }
    const first = Math.min(FRAME_BYTES, this.cap - this.head);
    copyFrame(this.buf, this.head, this.head + first, out, offset, table);
    if (first < FRAME_BYTES) copyFrame(this.buf, 0, FRAME_BYTES - first, out, offset + first, table);
    this.head = (this.head + FRAME_BYTES) % this.cap;
    this.size -= FRAME_BYTES;
    return true;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.filling = true;
    this.lastSeq = -1;
  }

  private drop(n: number): void {
    this.droppedBytes += n;
    this.head = (this.head + n) % this.cap;
    this.size -= n;
  }
}
