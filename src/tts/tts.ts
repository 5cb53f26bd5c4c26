/**
 * Text-to-speech for prompts: the interface flows and announcements use, the errors it
 * raises, and the choice of voice when the caller gives none.
 */

/** Mandarin, Cantonese, English. */
export type Voice = 'cmn' | 'yue' | 'en';
export type TtsCodec = 'PCMU' | 'PCMA';

export interface TtsRenderOptions {
  /** Default: detectVoice(text). */
  voice?: Voice;
  /** Default: PCMU. */
  codec?: TtsCodec;
}

export interface Tts {
  /** 8 kHz mono G.711 bytes, ready to packetize 160 per 20 ms. */
  render(text: string, opts?: TtsRenderOptions): Promise<Buffer>;
}

/** An engine that renders itself (not a cache); id names it and its settings for cache keys. */
export interface TtsEngine extends Tts {
  readonly id: string;
}

export type TtsErrorCode = 'engine-missing' | 'engine-failed' | 'invalid-text';

export class TtsError extends Error {
  override readonly name = 'TtsError';
  constructor(
    readonly code: TtsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Longest prompt accepted, in characters: prompts are sentences, not books. */
export const MAX_PROMPT_CHARS = 5000;

export function checkPromptText(text: string): void {
  if (text.trim() === '') throw new TtsError('invalid-text', 'prompt text is empty');
  if (text.length > MAX_PROMPT_CHARS) throw new TtsError('invalid-text', `prompt text longer than ${MAX_PROMPT_CHARS} characters`);
}

// Han ideographs: CJK Unified Ideographs, Extension A, Compatibility Ideographs.
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;

/**
 * Characters written in Cantonese but not in Mandarin (standard written Chinese uses
 * 的/了/不/是/沒有/他/在/東西/些 where Cantonese writes these).
 */
const CANTONESE_ONLY = new Set([...'嘅咗唔冇佢喺嘢啲哋嚟睇乜咁畀啱㗎喎嘞囉吖咩嗰噉攞揾搵嘥冚咪嚿瞓諗仲']);

/**
 * Pick a voice from the text: any Han character → Chinese, Cantonese if it contains a
 * Cantonese-only character (traditional and simplified characters alike are otherwise
 * Mandarin); otherwise (Latin script, digits only) English. 係 counts as Cantonese ("is") except inside 關係/聯係/
 * 係數, which Mandarin writes too.
 */
export function detectVoice(text: string): Voice {
  let han = false;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (!HAN.test(ch)) continue;
    han = true;
    if (CANTONESE_ONLY.has(ch)) return 'yue';
    if (ch === '係') {
      const prev = chars[i - 1];
      const next = chars[i + 1];
      if (prev !== '關' && prev !== '聯' && prev !== '联' && next !== '數' && next !== '数') return 'yue';
    }
  }
  // Latin script, digits, anything else: English.
  return han ? 'cmn' : 'en';
}
