/**
 * DND from the agent's own phone (issue 4 §1), against `surgeline serve`: agent 1001 registers
 * (digest), dials *78 — the server challenges the INVITE (407, the agent's credentials), answers,
 * beeps and hangs up — and the agent is on break 'dnd' in the API; *79 makes him available
 * again. Someone who is not an agent dialling *78 gets 403 and changes nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestPhone } from '../agents/phone.ts';
import { E2E_ADMIN_KEY, startServer, type RunningServer } from './server.ts';

const SIP = 44700;
const API = `http://127.0.0.1:${SIP + 3000}/api/v1`;
const PASSWORD = 'dnd-secret-44';
const SDP = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 44702 RTP/AVP 0\r\n');
let server: RunningServer;
let phone: TestPhone;

before(async () => {
  server = await startServer({ sipPort: SIP, rtpPorts: '44710-44799', env: { SURGELINE_DEMO_PASSWORD: PASSWORD } });
  phone = await TestPhone.start({ extension: '1001', port: 44701, rtpPort: 44702 });
});
after(async () => {
  await phone?.close();
  await server?.stop();
});

async function state(): Promise<{ state: string; reason: string | null }> {
  const res = await fetch(`${API}/agents/1001`, { headers: { authorization: `Bearer ${E2E_ADMIN_KEY}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { state: { state: string; reason: string | null } }).state;
}

async function until(pred: () => Promise<boolean>, what: string): Promise<void> {
  for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await pred()) return;
  assert.fail(`timed out waiting for ${what}`);
}

function dial(code: string, from = '1001', password = PASSWORD) {
  return phone.ua.invite({
    uri: `sip:${code}@127.0.0.1:${SIP}`,
    from: `sip:${from}@demo`,
    sdp: SDP,
    credentials: { username: from, password },
    timeoutMs: 15_000,
  });
}

test('*78 puts the registered agent on break "dnd" (answered, beeped, hung up by us); *79 brings him back', async () => {
  assert.equal(await phone.register({ registrar: SIP, password: PASSWORD }), 200);
  await until(async () => (await state()).state === 'available', '1001 available after registering');

  const on = await dial('*78');
  const end = await on.ended;
  assert.equal(end.reason, 'remote-bye', 'the server hung up after the confirmation');
  const dnd = await state();
  assert.deepEqual([dnd.state, dnd.reason], ['break', 'dnd']);

  const off = await dial('*79');
  await off.ended;
  assert.equal((await state()).state, 'available');
});

test('*78 from someone who is not an agent is refused with 403; a wrong password never gets past the challenge', async () => {
  await assert.rejects(dial('*78', '0912345678', 'whatever'), (err: Error & { status?: number }) => err.status === 403);
  await assert.rejects(dial('*78', '1001', 'wrong-password'), (err: Error & { status?: number }) => err.status === 407 || err.status === 403);
  assert.equal((await state()).state, 'available', 'nothing changed');
});
