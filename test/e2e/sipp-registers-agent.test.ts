/**
 * An agent phone (SIPp) registers as 1001 in the demo domain with digest auth: the first
 * REGISTER is challenged, the answer with the right password is accepted and brings the
 * agent online; a wrong password is refused; Expires: 0 takes the agent offline.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, startServer, type RunningServer } from './server.ts';

const SCENARIO = path.resolve(import.meta.dirname, '../fixtures/sipp/register_auth.xml');
let server: RunningServer;
let dir: string;

before(async () => {
  server = await startServer({ sipPort: 25960, rtpPorts: '26000-26099', env: { SURGELINE_DEMO_PASSWORD: 'correct-horse' } });
  dir = mkdtempSync(path.join(tmpdir(), 'sipp-reg-'));
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function register(user: string, password: string, port: number) {
  return run(
    'sipp',
    ['-sf', SCENARIO, '-s', user, `127.0.0.1:${server.sipPort}`, '-au', user, '-ap', password, '-m', '1', '-p', String(port), '-i', '127.0.0.1', '-nostdin', '-timeout', '15s'],
    { cwd: dir, timeoutMs: 20_000 },
  );
}

test('1001 registers with the right password: online, then offline on Expires: 0', async () => {
  const res = await register('1001', 'correct-horse', 25970);
  assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
  const online = await server.waitFor((l) => l.msg === 'agent phone registered: agent online');
  assert.equal(online.agent, '1001@demo');
  const offline = await server.waitFor((l) => l.msg === 'agent phone gone: agent offline');
  assert.equal(offline.cause, 'unregistered');
});

test('a wrong password never registers', async () => {
  const res = await register('1002', 'wrong', 25971);
  assert.notEqual(res.code, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(server.logs.some((l) => l.msg === 'agent phone registered: agent online' && l.agent === '1002@demo'), false);
});
