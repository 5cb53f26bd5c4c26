/**
 * Issue 4's durability promise, end to end against `surgeline serve`: a caller (SIPp) on the
 * demo E購網 line presses 0, waits in the queue, presses # and is told "已為您登記回撥…". The
 * server is killed with SIGKILL the moment it logs "callback recorded", which is just before that
 * confirmation starts. After a restart on the same data dir the callback is still there with
 * the caller's number, path and digits; when agent 1001 (baresip, digest, auto-answer) registers,
 * the callback worker rings the agent first, then dials the caller through the demo trunk
 * (SURGELINE_DEMO_TRUNK, a SIPp UAS playing the carrier), bridges them, and the callback ends done.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { E2E_ADMIN_KEY, run, startServer, type RunningServer } from './server.ts';

const SIP = 44200;
const API = `http://127.0.0.1:${SIP + 3000}/api/v1`;
const CARRIER = 44360;
const PASSWORD = 'kill9-agent-secret';
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/sipp');
const env = { SURGELINE_DEMO_PASSWORD: PASSWORD, SURGELINE_DEMO_TRUNK: `sip:127.0.0.1:${CARRIER}` };

let dir: string;
let server: RunningServer | undefined;
const children: ChildProcess[] = [];

async function api(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${API}${p}`, {
    method,
    headers: { authorization: `Bearer ${E2E_ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

function spawnLogged(cmd: string, args: string[], cwd: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out: ${what}`);
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kill9-'));
  await run('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', path.join(dir, 'tone.wav'), 'synth', '30', 'sine', '440', 'vol', '0.3']);
  writeFileSync(
    path.join(dir, 'config'),
    [
      'poll_method epoll',
      'sip_listen 127.0.0.1:44320',
      'audio_player aubridge,nullsink',
      `audio_source aufile,${path.join(dir, 'tone.wav')}`,
      'audio_alert aubridge,nullsink',
      'rtp_ports 44330-44349',
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
  // The agent phone auto-answers, as a headset agent on auto-answer does.
  writeFileSync(path.join(dir, 'accounts'), `<sip:1001@127.0.0.1:${SIP}>;auth_pass=${PASSWORD};regint=60;answermode=auto;audio_codecs=PCMU/8000/1\n`);
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a callback the caller was told about survives kill -9, and after the restart it is worked through the trunk', async () => {
  server = await startServer({ sipPort: SIP, rtpPorts: '44220-44299', env });
  // Calling windows around the clock, so the test does not depend on the hour it runs at.
  const q = await api('GET', '/queues/egou-orders');
  assert.equal(q.status, 200, JSON.stringify(q.json));
  const config = { ...q.json.config, ringTimeoutSeconds: 10, wrapUpSeconds: 1, callbacks: { ...q.json.config.callbacks, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '24:00' }] } };
  const put = await api('PUT', '/queues/egou-orders', config);
  assert.equal(put.status, 200, JSON.stringify(put.json));

  // 1. The caller: 0 for an agent, nobody is logged in, # for a callback.
  const caller = spawnLogged('sipp', ['-sf', path.join(FIXTURES, 'caller-queue-hash.xml'), '-s', '4008001111', `127.0.0.1:${SIP}`, '-p', '44300', '-mp', '44310', '-i', '127.0.0.1', '-m', '1', '-nostdin', '-timeout', '60s'], dir);
  const recorded = await server.waitFor((l) => l.msg === 'callback recorded', 40_000).catch((err: Error) => {
    throw new Error(`${err.message}\nSIPp caller: ${caller.output().slice(-2000)}`);
  });
  // 2. kill -9 at the moment the caller is about to hear the confirmation.
  await server.kill9();
  caller.child.kill('SIGKILL');
  await caller.exited;
  const dataDir = server.dataDir;
  assert.ok(
    !server.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('call ended')),
    'the server died with the call up (no orderly end was logged)',
  );

  // 3. Restart on the same store.
  server = await startServer({ sipPort: SIP, rtpPorts: '44220-44299', env, dataDir });
  const list = await api('GET', '/callbacks');
  assert.equal(list.status, 200);
  const items: any[] = Array.isArray(list.json) ? list.json : list.json.items;
  assert.equal(items.length, 1, `one callback after the restart: ${JSON.stringify(list.json)}`);
  const cb = items[0];
  assert.equal(cb.id, recorded.callback, 'the callback the server logged before it died');
  assert.equal(cb.callerNumber, '0912345678');
  assert.equal(cb.kind, 'keep-place');
  assert.equal(cb.queue, 'egou-orders');
  assert.ok(['pending', 'due'].includes(cb.state), `waiting to be worked: ${cb.state}`);
  assert.ok(cb.digits.includes('0'), `the digits the caller pressed are kept: ${cb.digits}`);
  assert.ok(cb.ivrPath.includes('agent'), `the IVR path is kept: ${cb.ivrPath}`);

  // 4. The carrier behind the trunk, then agent 1001's phone.
  const carrier = spawnLogged('sipp', ['-sf', path.join(FIXTURES, 'carrier-uas.xml'), '-p', String(CARRIER), '-mp', '44370', '-i', '127.0.0.1', '-m', '1', '-nostdin', '-timeout', '60s', '-trace_msg'], dir);
  const phone = spawnLogged('baresip', ['-f', dir, '-t', '50'], dir);
  try {
    await server.waitFor((l) => l.msg === 'agent phone registered: agent online' && String(l.agent).startsWith('1001@'), 15_000);
    const bridged = await server.waitFor((l) => l.msg === 'callback: caller answered, bridging to the agent', 30_000);
    assert.equal(bridged.callback, cb.id);
    assert.equal(bridged.agent, '1001');
    assert.equal(await carrier.exited, 0, `the carrier's call completed (its BYE answered): ${carrier.output().slice(-2000)}`);
    const done = await until('the callback is done', async () => {
      const r = await api('GET', `/callbacks/${cb.id}`);
      return r.json?.state === 'done' ? r.json : undefined;
    });
    assert.ok(done.agentId, 'the agent who worked it is recorded');
    assert.ok(done.attempts >= 1, 'the attempt is counted');
    assert.match(phone.output(), /incoming call|Call established|call established/i, 'baresip was rung and answered');
    const trace = readdirSync(dir).find((f) => f.startsWith('carrier-uas') && f.endsWith('_messages.log'));
    assert.ok(trace, 'SIPp wrote its message trace');
    assert.match(readFileSync(path.join(dir, trace), 'utf8'), /INVITE sip:0912345678@127\.0\.0\.1/, "the trunk was asked for the caller's number");
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbaresip: ${phone.output().slice(-2500)}\ncarrier: ${carrier.output().slice(-1500)}`);
  } finally {
    phone.child.stdin!.write('/quit\n');
    setTimeout(() => phone.child.kill('SIGKILL'), 3000).unref();
    await phone.exited;
  }
});
