/**
 * The audio store (recordings and voicemails): the data directory as it is, or an HTTP store
 * that takes each finished file by PUT and removes the local copy only once it has it. An
 * outage keeps the file local (served from there) until retry() or, after a restart,
 * adopt() + retry() move it; keys never leave the data directory.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { buffer } from 'node:stream/consumers';
import { httpAudioStore, localAudioStore, type AudioStore } from '../../src/storage/audio-store.ts';
import { createLogger } from '../../src/log.ts';
import { HttpStoreServer } from './http-store-server.ts';

const log = createLogger({ level: 'silent' });
let server: HttpStoreServer;
let dir: string;

before(async () => {
  server = await HttpStoreServer.start();
});
after(async () => {
  await server.close();
});

async function fresh(): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'surgeline-audio-'));
  return dir;
}

async function file(key: string, body: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, key)), { recursive: true });
  await writeFile(path.join(dir, key), body);
}

const exists = (key: string): Promise<boolean> => stat(path.join(dir, key)).then(() => true, () => false);
const store = (more: Partial<Parameters<typeof httpAudioStore>[0]> = {}): AudioStore =>
  httpAudioStore({ dataDir: dir, baseUrl: server.baseUrl, log, backoffMs: 5, authorization: 'Bearer store-token', ...more });

test('local: the data directory is the store; a key that leaves it is never read or deleted', async () => {
  await fresh();
  const local = localAudioStore(dir);
  await file('recordings/demo/2026-12-05/c1.wav', 'RIFF-one');
  await local.put('recordings/demo/2026-12-05/c1.wav');
  assert.ok(await exists('recordings/demo/2026-12-05/c1.wav'), 'put moves nothing');
  const got = await local.get('recordings/demo/2026-12-05/c1.wav');
  assert.equal(got?.size, 8);
  assert.equal(await text(got!.stream), 'RIFF-one');
  assert.equal(await local.get('recordings/none.wav'), undefined);
  assert.equal(await local.get('../outside.wav'), undefined);
  await local.remove('../outside.wav');
  await local.remove('recordings/demo/2026-12-05/c1.wav');
  await local.remove('recordings/demo/2026-12-05/c1.wav'); // already gone: fine
  assert.equal(await exists('recordings/demo/2026-12-05/c1.wav'), false);
  await rm(dir, { recursive: true, force: true });
});

test('http: put uploads the bytes with the Authorization header, then removes the local copy; get and remove go to the store', async () => {
  await fresh();
  server.requests.length = 0;
  const s = store();
  const key = 'voicemails/demo/2026-12-05/呼叫 1.wav';
  await file(key, 'RIFF-voicemail-bytes');
  await s.put(key);
  assert.equal(server.objects.get(`/audio/${key}`)?.toString(), 'RIFF-voicemail-bytes', 'stored under base path + key');
  assert.equal(server.requests[0]?.authorization, 'Bearer store-token');
  assert.equal(await exists(key), false, 'the local copy went after the 201');
  const got = await s.get(key);
  assert.equal(got?.size, 20);
  assert.equal((await buffer(got!.stream)).toString(), 'RIFF-voicemail-bytes');
  assert.equal(await s.get('voicemails/demo/none.wav'), undefined, '404 is no audio');
  await s.remove(key);
  assert.equal(server.objects.has(`/audio/${key}`), false);
  await s.remove(key); // 404 on delete: fine
  await assert.rejects(s.put('../escape.wav'), RangeError);
  await rm(dir, { recursive: true, force: true });
});

test('http outage: the file stays and is served locally; retry() moves it once the store is back', async () => {
  await fresh();
  const s = store();
  const key = 'recordings/demo/2026-12-05/c2.wav';
  await file(key, 'RIFF-recording');
  server.failWith = 503;
  server.requests.length = 0;
  await s.put(key);
  assert.equal(server.requests.filter((r) => r.method === 'PUT').length, 3, 'three attempts');
  assert.equal(await exists(key), true, 'kept in the data directory');
  assert.equal(await text((await s.get(key))!.stream), 'RIFF-recording', 'served from the data directory meanwhile');
  assert.equal(await s.retry(), 0, 'still down');
  server.failWith = undefined;
  assert.equal(await s.retry(), 1);
  assert.equal(await exists(key), false);
  assert.equal(server.objects.get(`/audio/${key}`)?.toString(), 'RIFF-recording');
  assert.equal(await s.retry(), 0, 'nothing left to move');
  await rm(dir, { recursive: true, force: true });
});

test('http: a refusal (403) is not hammered: one attempt, the file stays for retry()', async () => {
  await fresh();
  const s = store();
  const key = 'recordings/demo/2026-12-05/c3.wav';
  await file(key, 'RIFF-3');
  server.failWith = 403;
  server.requests.length = 0;
  await s.put(key);
  server.failWith = undefined;
  assert.equal(server.requests.length, 1);
  assert.equal(await exists(key), true);
  assert.equal(await s.retry(), 1);
  await rm(dir, { recursive: true, force: true });
});

test('http: a store that fails a GET is an error, not a missing file', async () => {
  await fresh();
  const s = store();
  server.failWith = 500;
  await assert.rejects(s.get('recordings/demo/x.wav'), /answered 500/);
  server.failWith = undefined;
  await rm(dir, { recursive: true, force: true });
});

test('adopt(): files an earlier run left (recordings, voicemails; nothing else) are moved by the next retry()', async () => {
  await fresh();
  await file('recordings/demo/2026-12-04/old.wav', 'RIFF-old');
  await file('voicemails/acme/2026-12-04/vm.wav', 'RIFF-vm');
  await file('prompts/abc.wav', 'a prompt, not ours to move');
  const s = store();
  assert.equal(await s.adopt(), 2);
  assert.equal(await s.retry(), 2);
  assert.equal(server.objects.get('/audio/recordings/demo/2026-12-04/old.wav')?.toString(), 'RIFF-old');
  assert.equal(server.objects.get('/audio/voicemails/acme/2026-12-04/vm.wav')?.toString(), 'RIFF-vm');
  assert.equal(await readFile(path.join(dir, 'prompts/abc.wav'), 'utf8'), 'a prompt, not ours to move');
  await rm(dir, { recursive: true, force: true });
});

test('a base URL that is no URL fails at construction', () => {
  assert.throws(() => httpAudioStore({ dataDir: '/tmp', baseUrl: 'not a url', log }), TypeError);
});
