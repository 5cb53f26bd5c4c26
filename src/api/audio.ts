/**
 * Serving a stored WAV (a voicemail or a call recording) from the data directory: the
 * store keeps paths relative to it (src/store/data-path.ts refuses any that could escape),
 * and this checks again that the resolved file lies inside before streaming it as
 * audio/wav. A missing file is a 404 naming what is missing; a node started without a data
 * directory answers 503.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import { ApiError } from './errors.ts';

export async function sendWav(reply: FastifyReply, dataDir: string | undefined, relative: string, what: string): Promise<unknown> {
  if (dataDir === undefined) throw new ApiError('unavailable', 'this node has no data directory to serve audio from');
  const root = resolve(dataDir);
  const file = resolve(root, relative);
  if (!file.startsWith(root + sep)) throw new ApiError('not_found', `${what}: its audio is not under the data directory`);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new ApiError('not_found', `${what}: the audio file is missing`);
  void reply.header('content-type', 'audio/wav').header('content-length', String(info.size)).header('cache-control', 'private, no-store');
  return createReadStream(file);
}
