/**
 * Prompts rendered by espeak-ng (a child process per render, text on stdin, WAV on
 * stdout), resampled from its 22.05 kHz to 8 kHz G.711.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readWav, pcmToG711, WavError } from '../media/wav.ts';
import { CachedTts, type CachedTtsOptions } from './cache.ts';
import { TtsError, checkPromptText, detectVoice, type TtsEngine, type TtsRenderOptions, type Voice } from './tts.ts';

/**
 * espeak-ng voice per language. NOTE: Mandarin uses cmn-latn-pinyin, not cmn: in
 * espeak-ng 1.51 "cmn" reads many characters as English-sounding pinyin (您 → "nin two").
 */
export const ESPEAK_VOICES: Record<Voice, string> = { cmn: 'cmn-latn-pinyin', yue: 'yue', en: 'en-us' };

export interface EspeakOptions {
  /** Executable, default "espeak-ng" on PATH. */
  binary?: string;
  /** Words per minute (espeak -s), default espeak's 175. */
  speed?: number;
  /** Kill a render that takes longer, default 10 s. */
  timeoutMs?: number;
  /** Renders running at once; the rest wait. Default 2 (the lab has two cores). */
  maxConcurrent?: number;
}

export class EspeakTts implements TtsEngine {
  readonly id: string;
  /** Processes started so far (tests use it to prove cache hits). */
  spawns = 0;
  private readonly binary: string;
  private readonly speed: number | undefined;
  private readonly timeoutMs: number;
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(opts: EspeakOptions = {}) {
    this.binary = opts.binary ?? 'espeak-ng';
    this.speed = opts.speed;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? 2);
    this.id = `espeak-ng;s=${this.speed ?? 'default'}`;
  }

  async render(text: string, opts: TtsRenderOptions = {}): Promise<Buffer> {
    checkPromptText(text);
    const voice = opts.voice ?? detectVoice(text);
    const wav = await this.limited(() => this.run(text, ESPEAK_VOICES[voice]));
    let audio;
    try {
      audio = readWav(wav);
    } catch (e) {
      if (e instanceof WavError) throw new TtsError('engine-failed', `espeak-ng produced no usable WAV: ${e.message}`, { cause: e });
      throw e;
    }
    if (audio.pcm.length === 0) throw new TtsError('engine-failed', `espeak-ng rendered no audio for ${JSON.stringify(text.slice(0, 40))}`);
    return pcmToG711(audio.pcm, audio.sampleRate, opts.codec ?? 'PCMU');
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private run(text: string, voice: string): Promise<Buffer> {
    // No shell, and the text goes through stdin so that nothing in it (a leading "-",
    // quotes, newlines) can become an option. -b 1: the input is UTF-8.
    const args = ['-v', voice, '-b', '1', '--stdin', '--stdout'];
    if (this.speed !== undefined) args.push('-s', String(this.speed));
    this.spawns++;
    return new Promise<Buffer>((resolve, reject) => {
      const child = spawn(this.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      // Our own timer rather than spawn's `timeout`, which stays armed when the binary is
      // missing (no 'exit' event) and would hold the process open.
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      timer.unref();
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.stdin.on('error', () => {
        // EPIPE if espeak exits early; the exit handler reports the real cause.
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === 'ENOENT') {
          reject(new TtsError('engine-missing', `${this.binary} not found: install the Debian package espeak-ng`, { cause: e }));
        } else {
          reject(new TtsError('engine-failed', `could not run ${this.binary}: ${e.message}`, { cause: e }));
        }
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve(Buffer.concat(out));
        const why = timedOut ? `no result after ${this.timeoutMs} ms` : signal ? `killed by ${signal}` : `exit code ${code}`;
        const msg = Buffer.concat(err).toString('utf8').trim();
        reject(new TtsError('engine-failed', `${this.binary} -v ${voice} failed (${why})${msg ? `: ${msg}` : ''}`));
      });
      child.stdin.end(text, 'utf8');
    });
  }
}

/** The production setup: espeak-ng behind the prompt cache in <dataDir>/prompts. */
export function espeakPromptTts(dataDir: string, opts: EspeakOptions & Omit<CachedTtsOptions, 'dir'> = {}): CachedTts {
  return new CachedTts(new EspeakTts(opts), { ...opts, dir: join(dataDir, 'prompts') });
}
