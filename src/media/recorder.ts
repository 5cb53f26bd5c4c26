/**
 * Call recording to WAV, written from the playout tick without ever blocking it.
 *
 * Each tick hands the recorder one 20 ms frame per direction; frames are copied into a
 * chunk buffer, and a full chunk (one second) goes to the file with an asynchronous
 * positional write (libuv's thread pool does the I/O, not the playout thread). The header
 * is written first with a zero length and patched on close, so an interrupted recording
 * is still a readable file up to its last flushed second.
 *
 * Modes: 'mono' — what the far end sends us, in the leg's G.711 law; 'stereo' — inbound
 * on the left, outbound on the right, G.711, two channels; 'mixed' — both directions
 * summed into one 16-bit PCM channel (G.711 cannot be summed without decoding).
 *
 * Pause (PCI DSS: card numbers must not be recorded): while paused both directions are
 * written as silence, so the file keeps the call's timeline and a reviewer sees where the
 * gap was; each paused stretch is reported with the result.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ALAW_DECODE, ULAW_DECODE } from './codecs/g711.ts';
import { wavHeader } from './wav.ts';
import { FRAME_BYTES, silenceByte, transcodeTable, type G711Codec } from './bridge.ts';

export type RecordMode = 'mono' | 'stereo' | 'mixed';

/** A stretch of the recording that holds silence because it was paused (ms from its start). */
export interface RecordingPause {
  startMs: number;
  endMs: number;
}

export interface RecordingResult {
  path: string;
  durationMs: number;
  /** Paused stretches (payment card details and the like), in order. */
  pauses: RecordingPause[];
}

const TICKS_PER_CHUNK = 50;
/** Chunks waiting for the disk before the recorder starts dropping audio. */
const MAX_IN_FLIGHT = 30;

export class WavRecorder {
  private readonly bytesPerTick: number;
  private readonly chunkBytes: number;
  private chunk: Uint8Array;
  private fill = 0;
  private readonly free: Uint8Array[] = [];
  private position: number;
  private dataBytes = 0;
  private ticks = 0;
  private inFlight = 0;
  private writes: Promise<void> = Promise.resolve();
  private closed: Promise<RecordingResult> | undefined;
  private readonly fileCodec: G711Codec;
  /** Ticks lost because the disk fell more than MAX_IN_FLIGHT seconds behind. */
  droppedTicks = 0;
  /** The first write error; the recording stops growing after it. */
  error: Error | undefined;
  private readonly pauseList: RecordingPause[] = [];
  private pausedSinceTick: number | undefined;

  private constructor(
    readonly path: string,
    readonly mode: RecordMode,
    codec: G711Codec,
    private readonly fh: FileHandle,
    private readonly headerBytes: number,
  ) {
    this.fileCodec = codec;
    this.bytesPerTick = mode === 'mono' ? FRAME_BYTES : 2 * FRAME_BYTES;
    this.chunkBytes = this.bytesPerTick * TICKS_PER_CHUNK;
    this.chunk = new Uint8Array(this.chunkBytes);
    this.position = headerBytes;
  }

  static async open(path: string, mode: RecordMode, codec: G711Codec): Promise<WavRecorder> {
    const fh = await open(path, 'w');
    try {
      const header = headerFor(mode, codec, 0);
      await fh.write(header, 0, header.length, 0);
      return new WavRecorder(path, mode, codec, fh, header.length);
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  get durationMs(): number {
    return this.ticks * 20;
  }

  get paused(): boolean {
    return this.pausedSinceTick !== undefined;
  }

  /** Pauses or resumes; returns false when it already was in that state. */
  setPaused(paused: boolean): boolean {
    if (paused === this.paused || this.closed) return false;
    if (paused) this.pausedSinceTick = this.ticks;
    else {
      this.pauseList.push({ startMs: this.pausedSinceTick! * 20, endMs: this.ticks * 20 });
      this.pausedSinceTick = undefined;
    }
    return true;
  }

  /** The paused stretches so far (an open one ends at the current duration). */
  get pauses(): RecordingPause[] {
    const open = this.pausedSinceTick !== undefined ? [{ startMs: this.pausedSinceTick * 20, endMs: this.durationMs }] : [];
    return [...this.pauseList, ...open];
  }

  /**
   * One tick: `inbound` / `outbound` hold FRAME_BYTES of `codec` at their offsets, or are
   * null for silence in that direction.
   */
  push(inbound: Uint8Array | null, inOff: number, outbound: Uint8Array | null, outOff: number, codec: G711Codec): void {
    if (this.closed || this.error) return;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.droppedTicks++;
      return;
    }
    this.ticks++;
    if (this.pausedSinceTick !== undefined) {
      inbound = null;
      outbound = null;
    }
    const c = this.chunk;
    const o = this.fill;
    const table = transcodeTable(codec, this.fileCodec);
    const quiet = silenceByte(this.fileCodec);
    if (this.mode === 'mono') {
      if (!inbound) c.fill(quiet, o, o + FRAME_BYTES);
      else if (!table) c.set(inbound.subarray(inOff, inOff + FRAME_BYTES), o);
      else for (let i = 0; i < FRAME_BYTES; i++) c[o + i] = table[inbound[inOff + i]!]!;
    } else if (this.mode === 'stereo') {
      for (let i = 0; i < FRAME_BYTES; i++) {
        const a = inbound ? inbound[inOff + i]! : -1;
        const b = outbound ? outbound[outOff + i]! : -1;
        c[o + 2 * i] = a < 0 ? quiet : table ? table[a]! : a;
        c[o + 2 * i + 1] = b < 0 ? quiet : table ? table[b]! : b;
      }
    } else {
      const dec = codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
      for (let i = 0; i < FRAME_BYTES; i++) {
        let s = (inbound ? dec[inbound[inOff + i]!]! : 0) + (outbound ? dec[outbound[outOff + i]!]! : 0);
        if (s > 32767) s = 32767;
        else if (s < -32768) s = -32768;
        // WAV PCM is little-endian.
        c[o + 2 * i] = s & 0xff;
        c[o + 2 * i + 1] = (s >> 8) & 0xff;
      }
    }
    this.fill += this.bytesPerTick;
    if (this.fill === this.chunkBytes) this.flush();
  }

  /** Flushes, patches the header with the final sizes and closes the file. Idempotent. */
  close(): Promise<RecordingResult> {
    if (!this.closed && this.paused) this.setPaused(false);
    this.closed ??= this.finish();
    return this.closed;
  }

  private flush(): void {
    if (this.fill === 0 || this.error) return;
    const chunk = this.chunk;
    const len = this.fill;
    const pos = this.position;
    this.position += len;
    this.dataBytes += len;
    this.chunk = this.free.pop() ?? new Uint8Array(this.chunkBytes);
    this.fill = 0;
    this.inFlight++;
    // Positional writes may overlap in flight; each owns its chunk until it completes.
    const w = this.fh.write(chunk, 0, len, pos).then(
      () => {
        this.inFlight--;
        this.free.push(chunk);
      },
      (err: unknown) => {
        this.inFlight--;
        this.error ??= err instanceof Error ? err : new Error(String(err));
      },
    );
    this.writes = Promise.all([this.writes, w]).then(() => undefined);
  }

  private async finish(): Promise<RecordingResult> {
    this.flush();
    await this.writes;
    try {
      if (!this.error) {
        // RIFF sizes (and the fact chunk's sample count) are known only now.
        const header = headerFor(this.mode, this.fileCodec, this.dataBytes);
        if (header.length !== this.headerBytes) throw new Error('WAV header size changed between open and close');
        await this.fh.write(header, 0, header.length, 0);
      }
    } finally {
      await this.fh.close();
    }
    if (this.error) throw this.error;
    return { path: this.path, durationMs: this.durationMs, pauses: this.pauses };
  }
}

function headerFor(mode: RecordMode, codec: G711Codec, dataBytes: number): Buffer {
  if (mode === 'mixed') return wavHeader({ sampleRate: 8000, channels: 1, format: 'pcm16', dataBytes });
  return wavHeader({
    sampleRate: 8000,
    channels: mode === 'stereo' ? 2 : 1,
    format: codec === 'PCMU' ? 'ulaw' : 'alaw',
    dataBytes,
  });
}
