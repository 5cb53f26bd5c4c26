import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspeakTts, ESPEAK_VOICES } from '../../src/tts/espeak.ts';
import { TtsError } from '../../src/tts/tts.ts';
import { decodeAlaw, decodeUlaw, ULAW_SILENCE } from '../../src/media/codecs/g711.ts';

const hasEspeak = existsSync('/usr/bin/espeak-ng');

function rms(pcm: Int16Array): number {
  let s = 0;
  for (const v of pcm) s += v * v;
  return Math.sqrt(s / Math.max(1, pcm.length));
}

/** Share of 20 ms frames that carry speech-level energy. */
function voicedShare(pcm: Int16Array): number {
  let voiced = 0;
  const frames = Math.floor(pcm.length / 160);
  for (let f = 0; f < frames; f++) if (rms(pcm.subarray(f * 160, f * 160 + 160)) > 500) voiced++;
  return voiced / Math.max(1, frames);
}

describe('EspeakTts', { skip: !hasEspeak && 'espeak-ng missing' }, () => {
  const tts = new EspeakTts();

  test('Mandarin prompt from the seeds: several seconds of speech as 8 kHz µ-law', async () => {
    const g711 = await tts.render('目前雙11活動檔期的出貨時間調整為 7 到 14 個工作天');
    const seconds = g711.length / 8000;
    assert.ok(seconds > 3 && seconds < 15, `duration ${seconds} s`);
    const pcm = decodeUlaw(g711);
    assert.ok(rms(pcm) > 1000, `rms ${rms(pcm)}`);
    assert.ok(voicedShare(pcm) > 0.5, `voiced ${voicedShare(pcm)}`);
  });

  test('English, as A-law on request', async () => {
    const g711 = await tts.render('Thank you for calling. Please hold.', { codec: 'PCMA' });
    const seconds = g711.length / 8000;
    assert.ok(seconds > 1 && seconds < 6, `duration ${seconds} s`);
    assert.ok(rms(decodeAlaw(g711)) > 1000);
    // µ-law silence byte would be loud noise if the codec were mixed up
    assert.ok(g711.filter((b) => b === ULAW_SILENCE).length < g711.length / 4);
  });

  test('Cantonese renders with the yue voice', async () => {
    const g711 = await tts.render('你嘅訂單已經寄出咗');
    assert.ok(g711.length / 8000 > 1);
    assert.ok(rms(decodeUlaw(g711)) > 1000);
  });

  test('voice choice changes the audio; Mandarin uses cmn-latn-pinyin', async () => {
    assert.equal(ESPEAK_VOICES.cmn, 'cmn-latn-pinyin');
    const a = await tts.render('您好', { voice: 'cmn' });
    const b = await tts.render('您好', { voice: 'yue' });
    assert.notDeepEqual(a, b);
  });

  test('text that looks like options or shell is only spoken', async () => {
    const before = tts.spawns;
    const g711 = await tts.render('--help -v xx "$(rm -rf /)" ; `id`');
    assert.equal(tts.spawns, before + 1);
    assert.ok(g711.length / 8000 > 1, 'spoken, not parsed as --help');
  });

  test('empty text is refused before spawning', async () => {
    const before = tts.spawns;
    await assert.rejects(tts.render('  '), (e: unknown) => e instanceof TtsError && e.code === 'invalid-text');
    assert.equal(tts.spawns, before);
  });

  test('at most maxConcurrent processes at once, all renders complete', async () => {
    const t = new EspeakTts({ maxConcurrent: 1 });
    const texts = ['one', 'two', 'three'];
    const out = await Promise.all(texts.map((x) => t.render(x)));
    assert.equal(t.spawns, 3);
    assert.ok(out.every((b) => b.length > 1000));
  });
});

describe('EspeakTts errors', () => {
  test('a missing binary is a clear engine-missing error', async () => {
    const t = new EspeakTts({ binary: '/nonexistent/espeak-ng' });
    await assert.rejects(t.render('hello'), (e: unknown) => e instanceof TtsError && e.code === 'engine-missing' && /install the Debian package espeak-ng/.test(e.message));
  });
  test('a hung engine is killed after timeoutMs', { skip: !existsSync('/bin/sleep') && 'no /bin/sleep' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tts-hang-'));
    try {
      const script = join(dir, 'hang');
      writeFileSync(script, '#!/bin/sh\nexec sleep 5\n', { mode: 0o755 });
      const t = new EspeakTts({ binary: script, timeoutMs: 300 });
      await assert.rejects(t.render('hello'), (e: unknown) => e instanceof TtsError && e.code === 'engine-failed' && /no result after 300 ms/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('a failing engine reports its exit and stderr', { skip: !existsSync('/bin/false') && 'no /bin/false' }, async () => {
    const t = new EspeakTts({ binary: '/bin/false' });
    await assert.rejects(t.render('hello'), (e: unknown) => e instanceof TtsError && e.code === 'engine-failed' && /exit code 1/.test(e.message));
  });
  test('output that is not WAV is engine-failed', { skip: !existsSync('/bin/echo') && 'no /bin/echo' }, async () => {
    // echo prints its arguments and exits 0: text on stdout that is not a WAV file.
    const t = new EspeakTts({ binary: '/bin/echo' });
    await assert.rejects(t.render('hello'), (e: unknown) => e instanceof TtsError && e.code === 'engine-failed' && /no usable WAV/.test(e.message));
  });
});
