/**
 * Serving a stored WAV (a voicemail or a call recording) from the audio store
 * (src/storage/audio-store.ts: the data directory, or an HTTP store): rows keep keys
 * relative to the data directory (src/store/data-path.ts refuses any that could escape,
 * and the store checks again). A missing file is a 404 naming what is missing; a node
 * without an audio store answers 503, one whose store fails answers 502.
 */
import type { FastifyReply } from 'fastify';
import { ApiError } from './errors.ts';
import type { AudioStore } from '../storage/audio-store.ts';

export async function sendWav(reply: FastifyReply, audio: AudioStore | undefined, key: string, what: string): Promise<unknown> {
  if (audio === undefined) throw new ApiError('unavailable', 'this node has no audio store (data directory) to serve audio from');
  let found;
  try {
    found = await audio.get(key);
  } catch (err) {
    throw new ApiError('bad_gateway', `${what}: the audio store failed (${(err as Error).message})`);
  }
  if (!found) throw new ApiError('not_found', `${what}: the audio file is missing`);
  void reply.header('content-type', 'audio/wav').header('cache-control', 'private, no-store');
  if (found.size >= 0) void reply.header('content-length', String(found.size));
  return found.stream;
}
