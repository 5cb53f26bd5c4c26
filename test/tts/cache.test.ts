import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachedTts, promptCacheKey } from '../../src/tts/cache.ts';
import { EspeakTts, espeakPromptTts } from '../../src/tts/espeak.ts';
import { TtsError } from '../../src/tts/tts.ts';
import { readWav } from '../../src/media/wav.ts';

const hasEspeak = existsSync('/usr/bin/espeak-ng');

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tts-cache-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('CachedTts over espeak-ng', { skip: !hasEspeak && 'espeak-ng missing' }, () => {
  test(
    'a memory hit does not respawn; the same bytes come back',
    withDir(async (dir) => {
      const engine = new EspeakTts();
      const tts = new CachedTts(engine, { dir });
      const a = await tts.render('請稍候，我們將為您轉接專人服務');
      const b = await tts.render('請稍候，我們將為您轉接專人服務');
      assert.equal(engine.spawns, 1);
      assert.equal(a, b);
      assert.deepEqual(tts.stats, { memoryHits: 1, diskHits: 0, renders: 1, joined: 0 });
      // An explicit voice equal to the detected one is the same prompt.
      await tts.render('請稍候，我們將為您轉接專人服務', { voice: 'cmn', codec: 'PCMU' });
      assert.equal(engine.spawns, 1);
    }),
  );

  test(
    'the disk cache survives a restart and holds a playable 8 kHz WAV, written atomically',
    withDir(async (dir) => {
      const first = new EspeakTts();
      const audio = await new CachedTts(first, { dir }).render('Your call is important to us.', { codec: 'PCMA' });
      const files = readdirSync(dir);
      assert.deepEqual(files, [`${promptCacheKey(first.id, 'en', 'PCMA', 'Your call is important to us.')}.wav`]);
      const w = readWav(readFileSync(join(dir, files[0]!)));
      assert.deepEqual([w.format, w.sampleRate, w.channels], ['alaw', 8000, 1]);
      assert.deepEqual(w.data, audio);

      const second = new EspeakTts();
      const tts2 = new CachedTts(second, { dir });
      assert.deepEqual(await tts2.render('Your call is important to us.', { codec: 'PCMA' }), audio);
      assert.equal(second.spawns, 0);
      assert.equal(tts2.stats.diskHits, 1);
    }),
  );

  test(
    'concurrent renders of the same text share one espeak-ng run',
    withDir(async (dir) => {
      const engine = new EspeakTts();
      const tts = new CachedTts(engine, { dir });
      const all = await Promise.all(Array.from({ length: 20 }, () => tts.render('Please hold.')));
      assert.equal(engine.spawns, 1);
      assert.equal(tts.stats.joined, 19);
      assert.ok(all.every((b) => b === all[0]));
    }),
  );

  test(
    'voice and codec are part of the key',
    withDir(async (dir) => {
      const engine = new EspeakTts();
      const tts = new CachedTts(engine, { dir });
      await tts.render('你好');
      await tts.render('你好', { voice: 'yue' });
      await tts.render('你好', { codec: 'PCMA' });
      assert.equal(engine.spawns, 3);
      assert.equal(readdirSync(dir).length, 3);
    }),
  );

  test(
    'LRU: the least recently used prompt leaves memory first (and comes back from disk)',
    withDir(async (dir) => {
      const engine = new EspeakTts();
      const tts = new CachedTts(engine, { dir, maxEntries: 2 });
      await tts.render('one');
      await tts.render('two');
      await tts.render('one'); // "two" is now least recently used
      await tts.render('three'); // evicts "two"
      assert.equal(tts.stats.memoryHits, 1);
      await tts.render('one');
      assert.equal(tts.stats.memoryHits, 2);
      await tts.render('two');
      assert.equal(tts.stats.diskHits, 1);
      assert.equal(engine.spawns, 3);
    }),
  );

  test(
    'a damaged cache file is re-rendered and replaced; no temporary files remain',
    withDir(async (dir) => {
      const engine = new EspeakTts();
      const key = promptCacheKey(engine.id, 'en', 'PCMU', 'Goodbye.');
      writeFileSync(join(dir, `${key}.wav`), 'not a wav');
      const errors: unknown[] = [];
      const tts = new CachedTts(engine, { dir, onDiskError: (e) => errors.push(e) });
      const audio = await tts.render('Goodbye.');
      assert.equal(engine.spawns, 1);
      assert.equal(errors.length, 1);
      assert.deepEqual(readWav(readFileSync(join(dir, `${key}.wav`))).data, audio);
      assert.deepEqual(readdirSync(dir), [`${key}.wav`]);
    }),
  );

  test(
    'espeakPromptTts keeps prompts under <dataDir>/prompts, creating it',
    withDir(async (dir) => {
      const tts = espeakPromptTts(dir);
      await tts.render('Welcome.');
      assert.equal(readdirSync(join(dir, 'prompts')).length, 1);
    }),
  );

  test(
    'an unusable directory degrades to memory only',
    withDir(async (dir) => {
      // NOTE: not a path under /proc: Node 20's recursive mkdir spins forever there.
      writeFileSync(join(dir, 'file'), '');
      const errors: unknown[] = [];
      const tts = new CachedTts(new EspeakTts(), { dir: join(dir, 'file', 'prompts'), onDiskError: (e) => errors.push(e) });
      const audio = await tts.render('Still works.');
      assert.ok(audio.length > 1000);
      // the failed read and the failed write are both reported
      assert.deepEqual(errors.map((e) => (e as NodeJS.ErrnoException).code), ['ENOTDIR', 'ENOTDIR']);
    }),
  );
});

describe('CachedTts errors', () => {
  test('engine errors reach every waiting caller and are not cached', async () => {
    const engine = new EspeakTts({ binary: '/nonexistent/espeak-ng' });
    const tts = new CachedTts(engine);
    const results = await Promise.allSettled([tts.render('x'), tts.render('x')]);
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof TtsError && r.reason.code === 'engine-missing'));
    assert.equal(engine.spawns, 1);
    await assert.rejects(tts.render('x'), TtsError);
    assert.equal(engine.spawns, 2);
  });
  test('empty text is rejected without touching the engine', async () => {
    const engine = new EspeakTts({ binary: '/nonexistent/espeak-ng' });
    await assert.rejects(new CachedTts(engine).render(''), (e: unknown) => e instanceof TtsError && e.code === 'invalid-text');
    assert.equal(engine.spawns, 0);
  });
});
