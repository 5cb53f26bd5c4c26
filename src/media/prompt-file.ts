/**
 * Audio files as prompts: a WAV in any format readWav understands (16-bit PCM at any
 * rate, 8 kHz µ-law/A-law, …) or raw G.711 (`.ul`/`.ulaw`/`.pcmu`, `.al`/`.alaw`/`.pcma`),
 * turned into 8 kHz G.711 bytes for the engine's loadPrompt/play.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { alawToUlaw, ulawToAlaw } from './codecs/g711.ts';
import { toG711 } from './wav.ts';

export type PromptCodec = 'PCMU' | 'PCMA';

export class PromptFileError extends Error {
  override readonly name = 'PromptFileError';
}

const RAW: Record<string, PromptCodec> = { '.ul': 'PCMU', '.ulaw': 'PCMU', '.pcmu': 'PCMU', '.al': 'PCMA', '.alaw': 'PCMA', '.pcma': 'PCMA' };

/** Convert file bytes named `name` (its extension tells raw from WAV). */
export function promptFromBytes(name: string, bytes: Buffer, codec: PromptCodec): Buffer {
  const ext = path.extname(name).toLowerCase();
  const raw = RAW[ext];
  if (raw) {
    if (raw === codec) return bytes;
    return raw === 'PCMU' ? ulawToAlaw(bytes) : alawToUlaw(bytes);
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    throw new PromptFileError(`${name}: not a WAV file and not raw G.711 (.ul/.al)`);
  }
  try {
    return toG711(bytes, codec);
  } catch (err) {
    throw new PromptFileError(`${name}: ${(err as Error).message}`);
  }
}

export async function loadPromptFile(file: string, codec: PromptCodec): Promise<Buffer> {
  return promptFromBytes(file, await readFile(file), codec);
}
