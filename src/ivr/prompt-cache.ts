/**
 * Spoken prompts for live calls: a text (and voice) becomes G.711 through the TTS (itself
 * cached in memory and on disk) and is loaded into the media engine once, under the id
 * 'tts:' + sha256(voice, text). Concurrent requests for the same text share one render
 * and one load, so a surge of callers hearing a new announcement costs one espeak-ng run.
 * A failed render is forgotten, so the next caller tries again.
 */
import { createHash } from 'node:crypto';
import type { MediaEngine } from '../media/engine.ts';
import type { Tts, TtsCodec, Voice } from '../tts/tts.ts';

const VOICES: ReadonlySet<string> = new Set<Voice>(['cmn', 'yue', 'en']);

/** A flow's voice field as a TTS voice; anything else is left to detection. */
export function voiceOf(voice: string | undefined): Voice | undefined {
  return voice !== undefined && VOICES.has(voice) ? (voice as Voice) : undefined;
}

export function promptId(text: string, voice?: Voice): string {
  return `tts:${createHash('sha256').update(JSON.stringify([voice ?? 'auto', text])).digest('hex')}`;
}

export class PromptCache {
  private readonly loaded = new Map<string, Promise<string>>();
  /** Renders started (not joined, not already loaded): tests use it to prove sharing. */
  renders = 0;

  constructor(
    private readonly tts: Tts,
    private readonly media: Pick<MediaEngine, 'loadPrompt'>,
    private readonly codec: TtsCodec = 'PCMU',
  ) {}

  /** The media prompt id of this text, rendered and loaded on first use. */
  ensure(text: string, voice?: Voice): Promise<string> {
    const id = promptId(text, voice);
    let p = this.loaded.get(id);
    if (!p) {
      this.renders++;
      p = this.tts
        .render(text, { codec: this.codec, ...(voice ? { voice } : {}) })
        .then((audio) => this.media.loadPrompt(id, this.codec, audio))
        .then(() => id);
      p.catch(() => this.loaded.delete(id));
      this.loaded.set(id, p);
    }
    return p;
  }

  /** Start rendering texts ahead of the callers who will hear them; failures surface when played. */
  warm(texts: Iterable<{ text: string; voice?: Voice | undefined }>): void {
    for (const t of texts) this.ensure(t.text, t.voice).catch(() => undefined);
  }

  /** Whether this text is loaded or being rendered. */
  has(text: string, voice?: Voice): boolean {
    return this.loaded.has(promptId(text, voice));
  }

  get size(): number {
    return this.loaded.size;
  }
}
