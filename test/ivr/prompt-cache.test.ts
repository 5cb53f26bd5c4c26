/**
 * The prompt cache with real espeak-ng and a real media engine: concurrent requests for
 * one text share one render and one load, the id is 'tts:' + sha256, the loaded prompt
 * plays on a leg, and a failed render is not remembered.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MediaEngine } from '../../src/media/engine.ts';
import { CachedTts } from '../../src/tts/cache.ts';
import { EspeakTts } from '../../src/tts/espeak.ts';
import { PromptCache, promptId } from '../../src/ivr/prompt-cache.ts';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

test('one render for concurrent requests; the prompt is loaded and plays; failures are retried', async () => {
  const media = await MediaEngine.start({ host: '127.0.0.1', portRange: '32500-32519', workers: 1 });
  closers.push(() => media.close());
  const espeak = new EspeakTts();
  const prompts = new PromptCache(new CachedTts(espeak), media);
  const text = '您好，歡迎致電。';
  const ids = await Promise.all([prompts.ensure(text), prompts.ensure(text), prompts.ensure(text)]);
  assert.deepEqual(new Set(ids), new Set([promptId(text)]), 'all three get the same id');
  assert.match(ids[0]!, /^tts:[0-9a-f]{64}$/, 'id is tts: + sha256 hex');
  assert.equal(espeak.spawns, 1, 'espeak-ng ran once');
  assert.equal(prompts.renders, 1, 'one load into the engine');
  assert.equal(await prompts.ensure(text), ids[0], 'a later request is served from memory');
  assert.equal(espeak.spawns, 1);
  assert.notEqual(promptId(text, 'yue'), promptId(text), 'the voice is part of the id');

  const leg = await media.allocate();
  await media.configure(leg.legId, { remote: { address: '127.0.0.1', port: 32518 }, codec: 'PCMU', payloadType: 0 });
  const played = media.play(leg.legId, { source: { kind: 'prompt', id: ids[0]! } });
  assert.equal(await played, 'done', 'the loaded prompt plays out');
  await media.release(leg.legId);

  await assert.rejects(prompts.ensure('   '), /empty/, 'an empty text fails');
  await assert.rejects(prompts.ensure('   '), /empty/, 'and is tried again, not remembered as failed');
  assert.equal(prompts.renders, 3);
  assert.equal(prompts.size, 1, 'only the good prompt is held');
});
