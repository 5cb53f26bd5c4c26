/**
 * A prompt cache in front of a TTS engine: memory (LRU) first, then a directory of WAV
 * files that survives restarts, then the engine. Renders of the same prompt that
 * overlap share one engine call, so a surge of callers hearing the same new prompt
 * spawns one espeak-ng, not hundreds.
 *
 * Files are 8 kHz µ-law/A-law WAVs named by sha256(engine id, voice, codec, text), so an
 * operator can play any of them, and are written to a temporary name then renamed, so a
 * crash never leaves a half-written prompt under the real name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readWav, writeWav } from '../media/wav.ts';
import { checkPromptText, detectVoice, type Tts, type TtsCodec, type TtsEngine, type TtsRenderOptions, type Voice } from './tts.ts';

export interface CachedTtsOptions {
  /** Directory for the on-disk cache; without it the cache is memory only. */
  dir?: string;
  /** Prompts kept in memory, default 512. */
  maxEntries?: number;
  /** Bytes kept in memory, default 64 MiB (≈ 2 hours of G.711). */
  maxBytes?: number;
  /** Called when the disk cache cannot be read or written (the render still succeeds). */
  onDiskError?: (err: unknown) => void;
}

export interface CacheStats {
  memoryHits: number;
  diskHits: number;
  /** Calls into the engine. */
  renders: number;
  /** Requests that joined a render already in progress. */
  joined: number;
}

export function promptCacheKey(engineId: string, voice: Voice, codec: TtsCodec, text: string): string {
  return createHash('sha256').update(JSON.stringify([engineId, voice, codec, text])).digest('hex');
}

export class CachedTts implements Tts {
  readonly stats: CacheStats = { memoryHits: 0, diskHits: 0, renders: 0, joined: 0 };
  private readonly memory = new Map<string, Buffer>();
  private memoryBytes = 0;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private dirReady: Promise<void> | undefined;

  constructor(
    private readonly engine: TtsEngine,
    private readonly opts: CachedTtsOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 512;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  /**
   * The prompt as 8 kHz G.711. NOTE: the buffer is shared by every caller of the same
   * prompt; treat it as read-only.
   */
  render(text: string, opts: TtsRenderOptions = {}): Promise<Buffer> {
    try {
      checkPromptText(text);
    } catch (e) {
      return Promise.reject(e);
    }
    const voice = opts.voice ?? detectVoice(text);
    const codec = opts.codec ?? 'PCMU';
    const key = promptCacheKey(this.engine.id, voice, codec, text);
    const hit = this.memory.get(key);
    if (hit) {
      this.stats.memoryHits++;
      this.memory.delete(key);
      this.memory.set(key, hit);
      return Promise.resolve(hit);
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.stats.joined++;
      return pending;
    }
    const p = this.load(key, text, voice, codec).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Drop the in-memory copies (the disk cache stays). */
  clearMemory(): void {
    this.memory.clear();
    this.memoryBytes = 0;
  }

  private async load(key: string, text: string, voice: Voice, codec: TtsCodec): Promise<Buffer> {
    const fromDisk = await this.readDisk(key, codec);
    if (fromDisk) {
      this.stats.diskHits++;
      this.remember(key, fromDisk);
      return fromDisk;
    }
    this.stats.renders++;
    const audio = await this.engine.render(text, { voice, codec });
    this.remember(key, audio);
    await this.writeDisk(key, codec, audio);
    return audio;
  }

  private remember(key: string, audio: Buffer): void {
    this.memory.set(key, audio);
    this.memoryBytes += audio.length;
    for (const [k, v] of this.memory) {
      if (this.memory.size <= this.maxEntries && this.memoryBytes <= this.maxBytes) break;
      if (k === key) continue; // never evict what we are about to return
      this.memory.delete(k);
      this.memoryBytes -= v.length;
    }
  }

  private file(key: string): string | undefined {
    return this.opts.dir === undefined ? undefined : join(this.opts.dir, `${key}.wav`);
  }

  private async readDisk(key: string, codec: TtsCodec): Promise<Buffer | undefined> {
    const file = this.file(key);
    if (!file) return undefined;
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onDiskError?.(e);
      return undefined;
    }
    try {
      const w = readWav(buf);
      const want = codec === 'PCMU' ? 'ulaw' : 'alaw';
      if (w.format !== want || w.sampleRate !== 8000 || w.channels !== 1 || w.data.length === 0) return undefined;
      return Buffer.from(w.data);
    } catch (e) {
      this.opts.onDiskError?.(e);
      return undefined; // a damaged file is re-rendered and overwritten
    }
  }

  private async writeDisk(key: string, codec: TtsCodec, audio: Buffer): Promise<void> {
    const file = this.file(key);
    if (!file || this.opts.dir === undefined) return;
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      this.dirReady ??= mkdir(this.opts.dir, { recursive: true }).then(() => undefined);
      await this.dirReady;
      await writeFile(tmp, writeWav({ sampleRate: 8000, channels: 1, format: codec === 'PCMU' ? 'ulaw' : 'alaw', data: audio }));
      await rename(tmp, file);
    } catch (e) {
      this.dirReady = undefined;
      this.opts.onDiskError?.(e);
      await unlink(tmp).catch(() => undefined);
    }
  }
}
