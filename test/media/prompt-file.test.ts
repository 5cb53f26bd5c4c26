import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPromptFile, promptFromBytes, PromptFileError } from '../../src/media/prompt-file.ts';
import { decodeUlaw, encodeUlaw, ulawToAlaw } from '../../src/media/codecs/g711.ts';

function zeroCrossings(pcm: Int16Array): number {
  let n = 0;
  for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) n++;
  return n;
}

test('a 16 kHz PCM WAV (sox) becomes 8 kHz µ-law of the same length and pitch', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prompt-'));
  try {
    const wav = path.join(dir, 'tone.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', wav, 'synth', '1', 'sine', '500']);
    const g711 = await loadPromptFile(wav, 'PCMU');
    assert.ok(Math.abs(g711.length - 8000) <= 40, `1 s of 8 kHz audio, got ${g711.length} bytes`);
    const crossings = zeroCrossings(decodeUlaw(g711));
    assert.ok(Math.abs(crossings - 1000) < 20, `500 Hz keeps its pitch (${crossings} zero crossings in 1 s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('raw G.711 passes through, or is transcoded to the other law', () => {
  const ulaw = encodeUlaw(Int16Array.from({ length: 160 }, (_, i) => Math.round(4000 * Math.sin(i / 3))));
  assert.deepEqual(promptFromBytes('menu.ul', ulaw, 'PCMU'), ulaw);
  assert.deepEqual(promptFromBytes('menu.ulaw', ulaw, 'PCMA'), ulawToAlaw(ulaw));
});

test('anything else is a PromptFileError naming the file', async () => {
  assert.throws(() => promptFromBytes('notes.txt', Buffer.from('hello there, not audio'), 'PCMU'), (e: unknown) => e instanceof PromptFileError && /notes\.txt/.test(e.message));
  const dir = mkdtempSync(path.join(tmpdir(), 'prompt-'));
  try {
    const bad = path.join(dir, 'bad.wav');
    writeFileSync(bad, Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEjunk', 'latin1'), Buffer.alloc(8)]));
    await assert.rejects(loadPromptFile(bad, 'PCMU'), PromptFileError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
