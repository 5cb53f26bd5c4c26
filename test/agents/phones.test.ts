/**
 * Agent phones over real UDP, credentials from the agents repository (PGlite seeded with
 * the demo: agents 1001–1004, realm "demo"): a phone (second UserAgent) registers with
 * digest, its agent comes online with a typed event carrying the extension and its
 * contact is listed; a wrong password or an unknown extension never registers; the last
 * binding going takes the agent offline; a password change is seen after invalidate().
 * SIP ports 36010-36019.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { realClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { freshPgliteDataDir } from '../store/pglite-template.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { AgentPhones, type AgentOfflineEvent, type AgentOnlineEvent } from '../../src/agents/phones.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { InviteFailedError } from '../../src/sip/ua/outbound-invite.ts';
import { TestPhone, until } from './phone.ts';

const PBX = 36010;
const clock = realClock();
let dir: string;
let store: Store;
let tenantId: string;
let phones: AgentPhones;
let pbx: UserAgent;
let lookups = 0;
const online: AgentOnlineEvent[] = [];
const offline: AgentOfflineEvent[] = [];
const started: TestPhone[] = [];

before(async () => {
  dir = await freshPgliteDataDir('surgeline-phones-');
  store = await openStore({ dataDir: dir }, { clock });
  ({ tenantId } = await seedDemo(store.db, clock, { demoPassword: 'agent-pw' }));
  const agents = agentsRepository(store.db, clock);
  phones = new AgentPhones({
    realm: 'demo',
    clock,
    logger: createLogger({ level: 'silent' }),
    credentials: (ext, realm) => {
      lookups++;
      return agents.sipCredentials(realm, ext);
    },
  });
  phones.on('online', (e) => online.push(e));
  phones.on('offline', (e) => offline.push(e));
  pbx = await UserAgent.start({
    listen: { host: '127.0.0.1', port: PBX },
    clock,
    register: (r, s) => phones.register(r, s),
    screenInvite: (r, s) => phones.screenInvite(r, s),
  });
});

after(async () => {
  for (const p of started) await p.close();
  await pbx?.close();
  phones?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function phone(extension: string, port: number): Promise<TestPhone> {
  const p = await TestPhone.start({ extension, port, rtpPort: 36900 });
  started.push(p);
  return p;
}

test('a phone registering with the stored password brings its agent online; contacts lists it; Expires 0 takes it offline', async () => {
  const p = await phone('1001', 36011);
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw' }), 200, 'registered after one 401');
  await until(() => online.some((e) => e.extension === '1001'), 'online event');
  const ev = online.find((e) => e.extension === '1001')!;
  assert.equal(ev.aor, '1001@demo', 'the AOR of the registration');
  assert.equal(ev.contact, p.contact, 'the contact the phone gave');
  assert.ok(phones.isOnline('1001'), 'isOnline by extension');
  assert.deepEqual(phones.onlineExtensions(), ['1001'], 'only 1001 is online');
  const contacts = await phones.contacts('1001');
  assert.deepEqual(contacts.map((b) => b.contact), [p.contact], 'the registered contact');
  assert.equal(contacts[0]?.source?.port, 36011, 'the source the REGISTER came from (NAT flow)');

  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw', expires: 0 }), 200, 'unregistered');
  await until(() => offline.some((e) => e.extension === '1001'), 'offline event');
  assert.deepEqual(offline.find((e) => e.extension === '1001'), { realm: 'demo', extension: '1001', aor: '1001@demo', cause: 'unregistered' }, 'typed offline event');
  assert.ok(!phones.isOnline('1001'), 'no longer online');
  assert.deepEqual(await phones.contacts('1001'), [], 'no contact left');
});

test('a wrong password or an unknown extension never registers and emits nothing', async () => {
  const before = online.length;
  const wrong = await phone('1002', 36012);
  assert.equal(await wrong.register({ registrar: PBX, password: 'guess' }), 401, 'a wrong password is challenged again');
  const unknown = await phone('1999', 36013);
  assert.equal(await unknown.register({ registrar: PBX, password: 'agent-pw' }), 401, 'an unknown extension looks the same');
  assert.equal(online.length, before, 'no online event');
  assert.ok(!phones.isOnline('1002') && !phones.isOnline('1999'), 'neither is online');
});

test('registered under two domains: offline only when the last binding goes', async () => {
  const p = await phone('1003', 36014);
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw' }), 200, 'under demo');
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw', domain: '127.0.0.1' }), 200, 'under the node address');
  await until(() => online.some((e) => e.extension === '1003'), 'online');
  assert.equal(online.filter((e) => e.extension === '1003').length, 1, 'one online event for the extension');
  assert.equal((await phones.contacts('1003')).length, 2, 'both bindings are contacts');
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw', expires: 0 }), 200, 'demo binding removed');
  assert.ok(phones.isOnline('1003'), 'still online through the other domain');
  assert.ok(!offline.some((e) => e.extension === '1003'), 'no offline event yet');
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw', domain: '127.0.0.1', expires: 0 }), 200, 'last binding removed');
  await until(() => offline.some((e) => e.extension === '1003'), 'offline after the last binding');
});

test('credentials are cached; a password change takes effect after invalidate()', async () => {
  const agents = agentsRepository(store.db, clock);
  const agent = await agents.getByExtension(tenantId, '1004');
  assert.ok(agent, 'seeded agent 1004');
  const p = await phone('1004', 36015);
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw' }), 200, 'registered');
  const n = lookups;
  assert.equal(await p.register({ registrar: PBX, password: 'agent-pw' }), 200, 'refreshed');
  assert.equal(lookups, n, 'the refresh did not query the store again');
  await agents.update(tenantId, agent.id, { password: 'new-pw' }, 'test');
  assert.equal(await p.register({ registrar: PBX, password: 'new-pw' }), 401, 'the cached HA1 still holds');
  phones.invalidate('1004');
  assert.equal(await p.register({ registrar: PBX, password: 'new-pw' }), 200, 'the new password works after invalidate');
  assert.equal(await p.register({ registrar: PBX, password: 'new-pw', expires: 0 }), 200, 'cleanup');
});

test('an INVITE claiming an agent identity must authenticate; a customer number passes the screen', async () => {
  const p = await phone('1002', 36016);
  const sdp = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 36902 RTP/AVP 0\r\n');
  const uri = `sip:4008001111@127.0.0.1:${PBX}`;
  const refused = await p.ua.invite({ uri, from: 'sip:1002@demo', sdp }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(refused instanceof InviteFailedError && refused.status === 407, `407 without credentials (${String(refused)})`);
  // Nobody answers calls on this PBX (no handler: 480), but the screen let it through.
  const customer = await p.ua.invite({ uri, from: 'sip:0912345678@127.0.0.1', sdp }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(customer instanceof InviteFailedError && customer.status === 480, `a customer's INVITE reaches the application (${String(customer)})`);
});
