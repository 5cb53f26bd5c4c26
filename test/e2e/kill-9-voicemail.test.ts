/**
 * Issue 4's durability promise for messages, end to end against `surgeline serve`: a caller
 * (SIPp) on the demo E購網 line presses 4, hears the prompt and the beep, speaks (Debian's
 * 7-second A-law pcap) and presses # to finish. The server is killed with SIGKILL the moment
 * it logs "voicemail recorded", which is just before the caller hears that the message was
 * received. After a restart on the same data dir the voicemail is listed with the caller's
 * number, path and digits; its WAV plays (a RIFF file holding seconds of the caller's audio,
 * not silence); and the callback task the line creates for a message is there, linked to it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readWav } from '../../src/media/wav.ts';
import { ALAW_DECODE, ULAW_DECODE } from '../../src/media/codecs/g711.ts';
import { E2E_ADMIN_KEY, startServer, type RunningServer } from './server.ts';

const SIP = 44400;
const API = `http://127.0.0.1:${SIP + 3000}/api/v1`;
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/sipp');

let dir: string;
let server: RunningServer | undefined;
const children: ChildProcess[] = [];

async function api(p: string): Promise<{ status: number; json: any; bytes: Buffer; type: string }> {
  const res = await fetch(`${API}${p}`, { headers: { authorization: `Bearer ${E2E_ADMIN_KEY}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, json: type.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined, bytes, type };
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kill9-vm-'));
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a voicemail the caller was told is recorded survives kill -9: listed, playable, with its callback task', async () => {
  server = await startServer({ sipPort: SIP, rtpPorts: '44420-44499' });
  const caller = spawn('sipp', ['-sf', path.join(FIXTURES, 'caller-voicemail-hash.xml'), '-s', '4008001111', `127.0.0.1:${SIP}`, '-p', '44402', '-mp', '44404', '-i', '127.0.0.1', '-m', '1', '-nostdin', '-timeout', '60s'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(caller);
  let out = '';
  caller.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  caller.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const recorded = await server.waitFor((l) => l.msg === 'voicemail recorded', 45_000).catch((err: Error) => {
    throw new Error(`${err.message}\nSIPp caller: ${out}`);
  });
  // kill -9 just before "your message has been received" is spoken.
  await server.kill9();
  caller.kill('SIGKILL');
  assert.equal(recorded.endedBy, 'key', 'the caller finished with #');
  assert.ok(!server.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('call ended')), 'the server died with the call up');
  const dataDir = server.dataDir;

  server = await startServer({ sipPort: SIP, rtpPorts: '44420-44499', dataDir });
  const list = await api('/voicemails');
  assert.equal(list.status, 200);
  assert.equal(list.json.length, 1, `one voicemail after the restart: ${JSON.stringify(list.json)}`);
  const vm = list.json[0];
  assert.equal(vm.id, recorded.voicemail, 'the voicemail the server logged before it died');
  assert.equal(vm.callerNumber, '0912345678');
  assert.ok(vm.ivrPath.includes('message'), `the IVR path is kept: ${vm.ivrPath}`);
  assert.ok(vm.digits.includes('4'), `the digits are kept: ${vm.digits}`);
  assert.ok(vm.durationMs >= 5000, `seconds of message (${vm.durationMs} ms)`);

  const audio = await api(`/voicemails/${vm.id}/audio`);
  assert.equal(audio.status, 200);
  assert.equal(audio.type, 'audio/wav');
  const wav = readWav(audio.bytes);
  const dec = wav.format === 'alaw' ? ALAW_DECODE : ULAW_DECODE;
  assert.ok(wav.format === 'alaw' || wav.format === 'ulaw', `G.711 WAV (${wav.format})`);
  let energy = 0;
  for (const b of wav.data) energy += Math.abs(dec[b]!);
  const meanAbs = energy / Math.max(1, wav.data.length);
  assert.ok(wav.data.length >= 5 * 8000 && meanAbs > 100, `the caller's speech is in the file (${wav.data.length} samples, mean |x| ${meanAbs.toFixed(0)})`);

  const callbacks = await api('/callbacks');
  const task = callbacks.json.find((c: { voicemailId: string | null }) => c.voicemailId === vm.id);
  assert.ok(task, `a callback task linked to the message: ${JSON.stringify(callbacks.json)}`);
  assert.equal(task.callerNumber, '0912345678');
});
