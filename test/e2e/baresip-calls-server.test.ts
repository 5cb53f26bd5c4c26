/**
 * baresip (Debian's package, headless) dials the E購網 number, presses 1 and # as RFC 4733
 * events, and hangs up. The server must answer, latch onto baresip's RTP (baresip puts
 * its LAN address in the SDP but sends from loopback), log both digits, and record them in
 * the call's journey where the Double-11 flow consumed them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { endedCallRecord, run, startServer, type RunningServer } from './server.ts';

let server: RunningServer;
let dir: string;

before(async () => {
  server = await startServer({ sipPort: 25660, rtpPorts: '25700-25799', env: { SURGELINE_DEMO_PASSWORD: 'agent-secret' } });
  dir = mkdtempSync(path.join(tmpdir(), 'baresip-'));
  await run('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', path.join(dir, 'tone.wav'), 'synth', '30', 'sine', '440', 'vol', '0.3']);
  writeFileSync(
    path.join(dir, 'config'),
    [
      'poll_method epoll',
      'sip_listen 127.0.0.1:25690',
      'audio_player aubridge,nullsink',
      `audio_source aufile,${path.join(dir, 'tone.wav')}`,
      'audio_alert aubridge,nullsink',
      'rtp_ports 25800-25899',
      'module_path /usr/lib/baresip/modules',
      'module stdio.so',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module_app account.so',
      'module_app menu.so',
      '',
    ].join('\n'),
  );
});

function baresip(accounts: string) {
  writeFileSync(path.join(dir, 'accounts'), `${accounts}\n`);
  const child = spawn('baresip', ['-f', dir, '-t', '25'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    say: (line: string) => child.stdin.write(`${line}\n`),
    output: () => out,
    async quit() {
      child.stdin.write('/quit\n');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      await closed;
    },
  };
}

test('baresip registers as agent 1001 with digest auth (online), and unregisters on quit (offline)', async () => {
  const phone = baresip(`<sip:1001@127.0.0.1:${server.sipPort}>;auth_pass=agent-secret;regint=60;audio_codecs=PCMU/8000/1`);
  try {
    const online = await server.waitFor((l) => l.msg === 'agent phone registered: agent online' && l.agent === '1001@127.0.0.1', 10_000);
    assert.equal(online.agent, '1001@127.0.0.1');
    await phone.quit();
    const offline = await server.waitFor((l) => l.msg === 'agent phone gone: agent offline' && l.agent === '1001@127.0.0.1', 10_000);
    assert.equal(offline.cause, 'unregistered');
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbaresip said:\n${phone.output().slice(-3000)}`);
  } finally {
    await phone.quit();
  }
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('baresip calls 4008001111, presses 1 then #, hangs up', async () => {
  const phone = baresip('<sip:tester@127.0.0.1>;regint=0;audio_codecs=PCMU/8000/1;dtmfmode=rtpevent');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    await sleep(1500);
    phone.say(`/dial sip:4008001111@127.0.0.1:${server.sipPort}`);
    const answered = await server.waitFor((l) => l.msg === 'call answered', 10_000);
    await sleep(1500);
    phone.say('/sndcode 1');
    await server.waitFor((l) => l.msg === 'digit' && l.callId === answered.callId, 10_000);
    await sleep(500);
    phone.say('/sndcode #');
    await server.waitFor((l) => l.msg === 'digit' && l.digit === '#' && l.callId === answered.callId, 10_000);
    phone.say('/hangup');
    const ended = await server.waitFor((l) => l.msg === 'call ended' && l.callId === answered.callId, 10_000);
    assert.equal(ended.reason, 'remote-bye');
    const digits = server.logs.filter((l) => l.msg === 'digit' && l.callId === answered.callId).map((l) => l.digit);
    assert.deepEqual(digits, ['1', '#']);
    // The Double-11 flow: 1 in the menu opens the order-status answer, # is not an option there.
    const rec = await endedCallRecord(server, String(answered.callId));
    const journey = rec.journey as { kind: string; node: string; digit?: string }[];
    assert.deepEqual(
      journey.filter((e) => e.kind === 'digit').map((e) => [e.node, e.digit]),
      [
        ['menu', '1'],
        ['orderStatus', '#'],
      ],
    );
    assert.equal(rec.outcome, 'caller-hangup');
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbaresip said:\n${phone.output().slice(-3000)}`);
  } finally {
    await phone.quit();
  }
});
