/**
 * Two tenants on one `surgeline serve`, each with its own extension 1001 (issue 4: every row
 * and event scoped to its tenant, C24). The operator creates tenant "acme" over the API; acme's
 * admin makes a queue, an agent 1001 with its own SIP password, a line whose flow queues the
 * caller, and an outbound trunk. Acme's 1001 registers in realm "acme" (its AOR's host), the
 * demo's 1001 in "demo": a call to acme's number rings acme's phone only, with the call's
 * headers; *78 from acme's phone puts acme's agent on break and leaves the demo's alone; a
 * transfer in acme's flow leaves through acme's trunk with acme's caller ID.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestPhone } from '../agents/phone.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { getHeader, parseNameAddr } from '../../src/sip/headers.ts';
import { numberOfUri } from '../../src/call/dialled.ts';
import { E2E_ADMIN_KEY, startServer, type RunningServer } from './server.ts';

const SIP = 45300;
const API = `http://127.0.0.1:${SIP + 3000}/api/v1`;
const DEMO_PASSWORD = 'demo-secret-45';
const ACME_PASSWORD = 'acme-secret-45';
const CARRIER = 45307;
const sdp = (port: number): Buffer => Buffer.from(`v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n`);

let server: RunningServer;
let acmePhone: TestPhone;
let demoPhone: TestPhone;
let caller: UserAgent;
let carrier: UserAgent;
let acmeKey = '';
const carried: { to: string | undefined; from: string | undefined }[] = [];

async function api(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function ok(method: string, path: string, key: string, body?: unknown): Promise<any> {
  const res = await api(method, path, key, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

async function until(pred: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await pred()) return;
  assert.fail(`timed out waiting for ${what}`);
}

const stateOf = async (key: string): Promise<{ state: string; reason: string | null }> => (await ok('GET', '/agents/1001', key)).state;

before(async () => {
  server = await startServer({ sipPort: SIP, rtpPorts: '45310-45399', env: { SURGELINE_DEMO_PASSWORD: DEMO_PASSWORD } });
  acmePhone = await TestPhone.start({ extension: '1001', port: 45301, rtpPort: 45302 });
  demoPhone = await TestPhone.start({ extension: '1001', port: 45303, rtpPort: 45304 });
  caller = await UserAgent.start({ listen: { host: '127.0.0.1', port: 45305 } });
  carrier = await UserAgent.start({ listen: { host: '127.0.0.1', port: CARRIER } });
  carrier.onInvite((invite) => {
    carried.push({ to: numberOfUri(invite.request.uri), from: numberOfUri(parseNameAddr(getHeader(invite.request, 'From')!).uri) });
    void invite.accept(sdp(45308));
  });

  // The operator makes the tenant; acme's own admin key sets it up.
  const made = await ok('POST', '/tenants', E2E_ADMIN_KEY, { slug: 'acme', name: 'Acme Corp' });
  acmeKey = made.adminKey;
  await ok('POST', '/queues', acmeKey, { name: 'support', ringTimeoutSeconds: 10, wrapUpSeconds: 0 });
  await ok('POST', '/agents', acmeKey, { extension: '1001', password: ACME_PASSWORD, displayName: 'Acme agent' });
  await ok('PUT', '/trunk', acmeKey, { uri: `sip:127.0.0.1:${CARRIER}`, callerId: '0277001234' });
  await ok('POST', '/flows?publish=true', acmeKey, {
    version: 1,
    name: 'acme-main',
    start: 'hello',
    nodes: {
      hello: { type: 'say', prompt: { text: '您好，歡迎來電。' }, next: 'support' },
      support: { type: 'queue', queue: 'support' },
    },
  });
  await ok('POST', '/flows?publish=true', acmeKey, {
    version: 1,
    name: 'acme-out',
    start: 'xfer',
    nodes: { xfer: { type: 'transfer', to: '0911222333' } },
  });
  await ok('POST', '/lines', acmeKey, { name: 'Acme hotline', timeZone: 'Asia/Taipei', numbers: ['4008453001'], flow: 'acme-main' });
  await ok('POST', '/lines', acmeKey, { name: 'Acme transfer', timeZone: 'Asia/Taipei', numbers: ['4008453002'], flow: 'acme-out' });
});

after(async () => {
  await acmePhone?.close();
  await demoPhone?.close();
  await caller?.close();
  await carrier?.close();
  await server?.stop();
});

test('each 1001 registers in its own realm with its own password, and the other realm refuses it', async () => {
  assert.equal(await acmePhone.register({ registrar: SIP, password: DEMO_PASSWORD, domain: 'acme' }), 401, "the demo's password is not acme's");
  assert.equal(await acmePhone.register({ registrar: SIP, password: ACME_PASSWORD, domain: 'acme' }), 200);
  assert.equal(await demoPhone.register({ registrar: SIP, password: DEMO_PASSWORD, domain: 'demo' }), 200);
  await until(async () => (await stateOf(acmeKey)).state === 'available', "acme's 1001 available");
  await until(async () => (await stateOf(E2E_ADMIN_KEY)).state === 'available', "demo's 1001 available");
  const online = server.logs.filter((l) => l.msg === 'agent phone registered: agent online').map((l) => l.realm);
  assert.deepEqual(online.sort(), ['acme', 'demo']);
});

test("a call to acme's number rings acme's 1001 only, with the call's headers", async () => {
  acmePhone.behaviour = { kind: 'answer', afterMs: 100 };
  demoPhone.behaviour = { kind: 'answer', afterMs: 100 };
  const demoInvites = demoPhone.invites.length;
  const session = await caller.invite({ uri: `sip:4008453001@127.0.0.1:${SIP}`, from: 'sip:0912345678@127.0.0.1', sdp: sdp(45306), timeoutMs: 15_000 });
  await until(() => acmePhone.sessions.length === 1, "acme's phone answered");
  const invite = acmePhone.invites.at(-1)!.request;
  assert.equal(getHeader(invite, 'X-Surgeline-Caller'), '0912345678');
  assert.equal(getHeader(invite, 'X-Surgeline-Queue'), 'support');
  const callId = getHeader(invite, 'X-Surgeline-Call-Id');
  assert.ok(callId, 'the call id header');
  assert.equal(demoPhone.invites.length, demoInvites, "the demo's 1001 was not rung");
  await until(async () => (await stateOf(acmeKey)).state === 'on-call', "acme's 1001 on call");
  assert.equal((await stateOf(E2E_ADMIN_KEY)).state, 'available', "the demo's 1001 is untouched");
  const live = await ok('GET', '/queues/support/live', acmeKey);
  assert.equal(live.agents['on-call'], 1);
  // The demo tenant cannot see acme's call.
  assert.equal((await api('GET', `/calls/${callId}`, E2E_ADMIN_KEY)).status, 404);
  await session.bye();
  await until(async () => (await stateOf(acmeKey)).state === 'available', "acme's 1001 back after the call");
});

test("*78 from acme's phone is acme's agent's DND; the demo's 1001 stays available", async () => {
  const dnd = await acmePhone.ua.invite({
    uri: `sip:*78@127.0.0.1:${SIP}`,
    from: 'sip:1001@acme',
    sdp: sdp(45302),
    credentials: { username: '1001', password: ACME_PASSWORD },
    timeoutMs: 15_000,
  });
  await dnd.ended;
  const acme = await stateOf(acmeKey);
  assert.deepEqual([acme.state, acme.reason], ['break', 'dnd']);
  assert.equal((await stateOf(E2E_ADMIN_KEY)).state, 'available');
  const back = await acmePhone.ua.invite({ uri: `sip:*79@127.0.0.1:${SIP}`, from: 'sip:1001@acme', sdp: sdp(45302), credentials: { username: '1001', password: ACME_PASSWORD }, timeoutMs: 15_000 });
  await back.ended;
  assert.equal((await stateOf(acmeKey)).state, 'available');
});

test("a transfer in acme's flow leaves through acme's trunk with acme's caller ID", async () => {
  const session = await caller.invite({ uri: `sip:4008453002@127.0.0.1:${SIP}`, from: 'sip:0912345678@127.0.0.1', sdp: sdp(45306), timeoutMs: 15_000 });
  await until(() => carried.length === 1, 'the carrier got the transfer');
  assert.deepEqual(carried[0], { to: '0911222333', from: '0277001234' });
  await session.bye();
});
