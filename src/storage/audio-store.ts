/**
 * Where finished audio (call recordings, voicemails) is kept: the pluggable storage of issue 4
 * §6. The media worker always writes a WAV into the data directory as the call runs (a
 * recording grows while the call lasts and must survive a crash as a file); once it is
 * finished and its row is stored, the store takes it by its key, the path relative to the data
 * directory that the row keeps.
 *
 * - `local` (default): the data directory is the store; nothing moves.
 * - `http`: any server that takes PUT, GET and DELETE at base URL + key (nginx with
 *   dav_methods and create_full_put_path, Apache mod_dav, a gateway in front of object
 *   storage), so every node of a scaled-out install serves every recording. The local copy
 *   is removed only after the server confirmed the upload (2xx); an upload that keeps
 *   failing leaves the file where it is, served from there, until a later `retry()` moves
 *   it (and `adopt()` at the next start). Nothing a caller left is lost to a storage outage.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from '../log.ts';

export interface StoredAudio {
  readonly stream: Readable;
  readonly size: number;
}

export interface AudioStore {
  readonly kind: 'local' | 'http';
  /** Take a finished file, by its key (the path relative to the data directory). */
  put(key: string): Promise<void>;
  /** The audio of a key; undefined when neither the store nor the data directory has it. */
  get(key: string): Promise<StoredAudio | undefined>;
  /** Delete the audio of a key wherever it is; a missing one is not an error. */
  remove(key: string): Promise<void>;
  /** Try again to move files whose upload failed in this process; resolves with how many moved. */
  retry(): Promise<number>;
  /**
   * At start, before any call: the audio files an earlier process left in the data directory
   * (it crashed, or the store was down), to be moved in the background by `retry()`. Later
   * a walk could pick up a recording still being written, so this runs only then.
   */
  adopt(): Promise<number>;
}

/** The file of a key inside the data directory, or undefined when the key would leave it. */
export function fileOf(dataDir: string, key: string): string | undefined {
  const root = resolve(dataDir);
  const file = resolve(root, key);
  return file.startsWith(root + sep) ? file : undefined;
}

async function localFile(dataDir: string, key: string): Promise<StoredAudio | undefined> {
  const file = fileOf(dataDir, key);
  if (file === undefined) return undefined;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return { stream: createReadStream(file), size: info.size };
}

async function unlinkQuiet(file: string | undefined): Promise<void> {
  if (file === undefined) return;
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

export function localAudioStore(dataDir: string): AudioStore {
  return {
    kind: 'local',
    put: () => Promise.resolve(),
    get: (key) => localFile(dataDir, key),
    remove: (key) => unlinkQuiet(fileOf(dataDir, key)),
    retry: () => Promise.resolve(0),
    adopt: () => Promise.resolve(0),
  };
}

export interface HttpAudioStoreOptions {
  readonly dataDir: string;
  /** e.g. https://media.example.com/surgeline/ — keys are appended, each segment URI-encoded. */
  readonly baseUrl: string;
  /** Sent as the Authorization header (e.g. "Bearer …" or "Basic …"). */
  readonly authorization?: string;
  readonly log: Logger;
  /** Attempts per upload before the file is left for retry(); default 3. */
  readonly attempts?: number;
  /** Pause between attempts; default 500 ms, doubling. */
  readonly backoffMs?: number;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
}

/** Folders under the data directory that hold audio the store takes. */
const AUDIO_DIRS = ['recordings', 'voicemails'];

export function httpAudioStore(opts: HttpAudioStoreOptions): AudioStore {
  const base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  new URL(base); // a bad URL fails at start, not at the first recording
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const urlOf = (key: string): string => base + key.split(/[\\/]/).map(encodeURIComponent).join('/');
  const headers = (more: Record<string, string> = {}): Record<string, string> => ({ ...(opts.authorization ? { authorization: opts.authorization } : {}), ...more });
  const failed = new Set<string>();

  async function upload(key: string): Promise<boolean> {
    const file = fileOf(opts.dataDir, key);
    if (file === undefined) throw new RangeError(`audio key outside the data directory: ${key}`);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return true; // moved already (another try, another node's sweep)
    const attempts = opts.attempts ?? 3;
    let pause = opts.backoffMs ?? 500;
    for (let i = 1; i <= attempts; i++) {
      try {
        const res = await fetch(urlOf(key), {
          method: 'PUT',
          headers: headers({ 'content-type': 'audio/wav', 'content-length': String(info.size) }),
          body: Readable.toWeb(createReadStream(file)) as unknown as RequestInit['body'],
          duplex: 'half',
          signal: AbortSignal.timeout(timeoutMs),
        } as RequestInit);
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          await unlinkQuiet(file);
          failed.delete(key);
          return true;
        }
        opts.log.warn({ key, status: res.status, attempt: i }, 'audio upload refused');
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (err) {
        opts.log.warn({ key, err: String(err), attempt: i }, 'audio upload failed');
      }
      if (i < attempts) await new Promise((r) => setTimeout(r, pause));
      pause *= 2;
    }
    failed.add(key);
    opts.log.error({ key }, 'audio kept in the data directory: the store did not take it (served from here; retried later)');
    return false;
  }

  return {
    kind: 'http',
    async put(key) {
      await upload(key);
    },
    async get(key) {
      // Not uploaded yet (or the upload failed): the data directory still has it.
      const local = await localFile(opts.dataDir, key);
      if (local) return local;
      const res = await fetch(urlOf(key), { headers: headers(), signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 404) {
        await res.arrayBuffer().catch(() => undefined);
        return undefined;
      }
      if (!res.ok || !res.body) {
        await res.arrayBuffer().catch(() => undefined);
        throw new Error(`audio store answered ${res.status} for ${key}`);
      }
      const size = Number(res.headers.get('content-length') ?? NaN);
      return { stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), size: Number.isFinite(size) ? size : -1 };
    },
    async remove(key) {
      await unlinkQuiet(fileOf(opts.dataDir, key));
      failed.delete(key);
      const res = await fetch(urlOf(key), { method: 'DELETE', headers: headers(), signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok && res.status !== 404) throw new Error(`audio store refused to delete ${key}: ${res.status}`);
    },
    async retry() {
      let moved = 0;
      for (const key of [...failed]) if (await upload(key).catch(() => false)) moved++;
      return moved;
    },
    async adopt() {
      let found = 0;
      for (const dir of AUDIO_DIRS) {
        for (const file of await walk(resolve(opts.dataDir, dir))) {
          failed.add(relative(resolve(opts.dataDir), file));
          found++;
        }
      }
      return found;
    },
  };
}

/** Every .wav file under a folder (none when it does not exist). */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const full = resolve(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else if (e.isFile() && e.name.endsWith('.wav')) out.push(full);
  }
  return out;
}
