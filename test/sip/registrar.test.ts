import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { parseMessage } from '../../src/sip/parser.ts';
import { serializeMessage } from '../../src/sip/serialize.ts';
import { getHeader, getHeaders, parseNameAddr, removeHeader, setHeader } from '../../src/sip/headers.ts';
import type { Endpoint, SipRequest, SipResponse } from '../../src/sip/message.ts';
import { Registrar, normaliseAor } from '../../src/sip/registrar.ts';
import type { Binding, BindingStore, RegistrarEvents, RegistrarOptions } from '../../src/sip/registrar.ts';
import { MemoryBindingStore } from '../../src/sip/registrar-memory-store.ts';

/**
 * assert.ok without a message makes Node regenerate the failing expression from source,
 * which under tsx reads the wrong line and can spin for minutes: always pass a message.
 */
function check(value: unknown, message = 'expected a truthy value'): asserts value {
  assert.ok(value, message);
}

// Captured on loopback from baresip 1.0.0: its authorised REGISTER (expires=600) and its
// de-registration on /quit (same Call-ID, higher CSeq, expires=0).
const BARESIP_REGISTER =
  'REGISTER sip:127.0.0.1:15099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:15098;branch=z9hG4bKe831442783f5ec84;rport\r\nContact: <sip:1001-0x560ce88d3b00@127.0.0.1:15098>;expires=600\r\nMax-Forwards: 70\r\nAuthorization: Digest username="1001", realm="surgeline.test", nonce="AAABogk/pa3EwI2TDoUiY79ZwjkZ3G0Bn2TX3qnF/ECTssxt3DuW+RZw8ZvOOYVl", uri="sip:127.0.0.1:15099", response="a935f9286b1390565e00f628826962b9", cnonce="e06156c89468eb1e", qop=auth, nc=00000001\r\nTo: <sip:1001@127.0.0.1:15099>\r\nFrom: <sip:1001@127.0.0.1:15099>;tag=5682f531beccc8a0\r\nCall-ID: a1954799510b190a\r\nCSeq: 32011 REGISTER\r\nUser-Agent: baresip v1.0.0 (x86_64/linux)\r\nAllow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,REFER\r\nContent-Length: 0\r\n\r\n';
const BARESIP_UNREGISTER =
  'REGISTER sip:127.0.0.1:15099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:15098;branch=z9hG4bKf935a75cf2baa929;rport\r\nContact: <sip:1001-0x560ce88d3b00@127.0.0.1:15098>;expires=0\r\nMax-Forwards: 70\r\nAuthorization: Digest username="1001", realm="surgeline.test", nonce="AAABogk/tUWH5/RNLg7by7EqwSC31Ugb8fLjoqO+cFM/f9/uauKaAPE6cMyGeRRB", uri="sip:127.0.0.1:15099", response="f06fa4e73c5505e417d61303f73f6f42", cnonce="81276fe46b868a8d", qop=auth, nc=00000001\r\nTo: <sip:1001@127.0.0.1:15099>\r\nFrom: <sip:1001@127.0.0.1:15099>;tag=5682f531beccc8a0\r\nCall-ID: a1954799510b190a\r\nCSeq: 32013 REGISTER\r\nUser-Agent: baresip v1.0.0 (x86_64/linux)\r\nAllow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,REFER\r\nContent-Length: 0\r\n\r\n';

// A Linphone-style REGISTER to a tenant domain (RFC 3261 §10.2 form: Request-URI without
// user part; RFC 5626 instance id; compact Contact list with q-values and an Expires header).
const TENANT_REGISTER = [
  'REGISTER sip:acme.surgeline.test SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK.Ui2tlw1Ha;rport',
  'From: "Agent Smith" <sip:agent7@acme.surgeline.test>;tag=yEP~T3ebQ',
  'To: "Agent Smith" <sip:agent7@acme.surgeline.test>',
  'CSeq: 20 REGISTER',
  'Call-ID: 8hQw0t1qzn',
  'Max-Forwards: 70',
  'Supported: replaces, outbound, gruu',
  'Accept: application/sdp',
  'Accept: text/plain',
  'Accept: application/vnd.gsma.rcs-ft-http+xml',
  'Contact: <sip:agent7@192.168.1.20:5062;transport=udp>;+sip.instance="<urn:uuid:0ad0c1a0-7a3e-4a4c-b8b5-1f7a2e9c3d11>";+org.linphone.specs="lime";q=0.5',
  'Expires: 3600',
  'User-Agent: Linphone Desktop/5.2.6 (Debian GNU/Linux 12 (bookworm), Qt 5.15.8) LinphoneCore/5.3.41',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const T0 = Date.UTC(2026, 10, 11, 9, 0, 0);
const PHONE: Endpoint = { transport: 'udp', host: '198.51.100.23', port: 40123 };

function req(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text, 'utf8'));
  assert.equal(m.kind, 'request');
  return m;
}

/** A variant of the tenant REGISTER: replace or drop headers. */
function variant(headers: Record<string, string | string[] | null>, base = TENANT_REGISTER): SipRequest {
  let m = req(base);
  for (const [name, value] of Object.entries(headers)) m = value === null ? removeHeader(m, name) : setHeader(m, name, value);
  return m;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

function setup(overrides: Partial<RegistrarOptions> = {}) {
  const clock = new ManualClock(0, T0);
  const store = new MemoryBindingStore();
  const registrar = new Registrar({ store, clock, ...overrides });
  const events: string[] = [];
  registrar.on('online', (e: RegistrarEvents['online']) => events.push(`online ${e.aor} ${e.binding.contact}`));
  registrar.on('offline', (e: RegistrarEvents['offline']) => events.push(`offline ${e.aor} ${e.cause}`));
  return { clock, store, registrar, events };
}

function contacts(res: SipResponse): { uri: string; expires: string | null | undefined; q: string | null | undefined }[] {
  return getHeaders(res, 'Contact').map((v) => {
    const na = parseNameAddr(v);
    return { uri: na.uri, expires: na.params.get('expires'), q: na.params.get('q') };
  });
}

describe('Registrar: captured baresip registration', () => {
  test('REGISTER → 200 listing the binding with expires, Date, To tag; binding keeps the source address', async () => {
    const { registrar, events } = setup();
    const res = await registrar.register(req(BARESIP_REGISTER), { source: PHONE, authenticatedUser: '1001' });
    assert.equal(res.status, 200);
    assert.deepEqual(contacts(res), [{ uri: 'sip:1001-0x560ce88d3b00@127.0.0.1:15098', expires: '600', q: undefined }]);
    assert.equal(getHeader(res, 'Date'), 'Wed, 11 Nov 2026 09:00:00 GMT');
    check(parseNameAddr(getHeader(res, 'To') ?? '').params.get('tag'), 'To tag');
    assert.equal(getHeader(res, 'CSeq'), '32011 REGISTER');
    // The response goes on the wire as is.
    assert.equal(parseMessage(serializeMessage(res)).kind, 'response');

    const [b, ...rest] = await registrar.lookup('sip:1001@127.0.0.1');
    assert.equal(rest.length, 0);
    check(b, 'one binding');
    assert.equal(b.aor, '1001@127.0.0.1');
    assert.equal(b.contact, 'sip:1001-0x560ce88d3b00@127.0.0.1:15098');
    assert.deepEqual(b.source, PHONE);
    assert.equal(b.expiresAt, T0 + 600_000);
    assert.equal(b.callId, 'a1954799510b190a');
    assert.equal(b.cseq, 32011);
    assert.equal(b.userAgent, 'baresip v1.0.0 (x86_64/linux)');
    assert.equal(b.authenticatedUser, '1001');
    assert.deepEqual(events, ['online 1001@127.0.0.1 sip:1001-0x560ce88d3b00@127.0.0.1:15098']);
  });

  test('its de-registration (expires=0, higher CSeq) removes the binding and logs the agent out', async () => {
    const { registrar, events } = setup();
    await registrar.register(req(BARESIP_REGISTER), { source: PHONE });
    const res = await registrar.register(req(BARESIP_UNREGISTER), { source: PHONE });
    assert.equal(res.status, 200);
    assert.deepEqual(getHeaders(res, 'Contact'), []);
    assert.deepEqual(await registrar.lookup('1001@127.0.0.1'), []);
    assert.deepEqual(events, ['online 1001@127.0.0.1 sip:1001-0x560ce88d3b00@127.0.0.1:15098', 'offline 1001@127.0.0.1 unregistered']);
  });

  test('the binding expires on the clock: offline "expired" exactly at 600 s', async () => {
    const { registrar, events, clock, store } = setup();
    await registrar.register(req(BARESIP_REGISTER), { source: PHONE });
    clock.advance(599_999);
    await flush();
    assert.equal((await registrar.lookup('1001@127.0.0.1')).length, 1);
    assert.equal(events.length, 1);
    clock.advance(1);
    await flush();
    assert.deepEqual(await registrar.lookup('1001@127.0.0.1'), []);
    assert.deepEqual(store.aors(), []);
    assert.deepEqual(events.slice(1), ['offline 1001@127.0.0.1 expired']);
    assert.equal(clock.pending(), 0);
  });

  test('a refresh before expiry moves the expiry and does not re-announce', async () => {
    const { registrar, events, clock } = setup();
    await registrar.register(req(BARESIP_REGISTER), { source: PHONE });
    clock.advance(300_000);
    const refresh = setHeader(req(BARESIP_REGISTER), 'CSeq', '32012 REGISTER');
    const res = await registrar.register(refresh, { source: PHONE });
    assert.deepEqual(contacts(res).map((c) => c.expires), ['600']);
    clock.advance(400_000);
    await flush();
    assert.equal((await registrar.lookup('1001@127.0.0.1')).length, 1);
    assert.equal(events.length, 1);
    clock.advance(200_000);
    await flush();
    assert.deepEqual(events.slice(1), ['offline 1001@127.0.0.1 expired']);
  });

  test('remaining expiry in the 200 counts down', async () => {
    const { registrar, clock } = setup();
    await registrar.register(req(BARESIP_REGISTER));
    clock.advance(100_500);
    const query = removeHeader(setHeader(req(BARESIP_REGISTER), 'CSeq', '32020 REGISTER'), 'Contact');
    const res = await registrar.register(query);
    assert.deepEqual(contacts(res).map((c) => c.expires), ['500']);
  });
});

describe('Registrar: §10.3 rules', () => {
  test('AOR is canonical user@domain; the Expires header applies; q and params are kept', async () => {
    const { registrar } = setup();
    const res = await registrar.register(req(TENANT_REGISTER), { source: PHONE, authenticatedUser: 'agent7' });
    assert.equal(res.status, 200);
    assert.deepEqual(contacts(res), [{ uri: 'sip:agent7@192.168.1.20:5062;transport=udp', expires: '3600', q: '0.5' }]);
    const [b] = await registrar.lookup('agent7@ACME.surgeline.test');
    check(b, 'binding');
    assert.equal(b.aor, 'agent7@acme.surgeline.test');
    assert.equal(b.q, 0.5);
    assert.equal(b.instanceId, '<urn:uuid:0ad0c1a0-7a3e-4a4c-b8b5-1f7a2e9c3d11>');
    assert.deepEqual(b.params, [
      ['+sip.instance', '"<urn:uuid:0ad0c1a0-7a3e-4a4c-b8b5-1f7a2e9c3d11>"'],
      ['+org.linphone.specs', '"lime"'],
    ]);
  });

  test('per-contact expires beats the Expires header; neither → default 3600; long → clamped to max', async () => {
    const { registrar } = setup({ maxExpires: 7200 });
    const res = await registrar.register(
      variant({
        Contact: ['<sip:a@10.0.0.1>;expires=120', '<sip:b@10.0.0.2>', '<sip:c@10.0.0.3>;expires=99999999999'],
        Expires: '300',
      }),
    );
    assert.deepEqual(
      contacts(res).map((c) => [c.uri, c.expires]),
      [
        ['sip:a@10.0.0.1', '120'],
        ['sip:b@10.0.0.2', '300'],
        ['sip:c@10.0.0.3', '7200'],
      ],
    );
    const { registrar: r2 } = setup();
    const res2 = await r2.register(variant({ Contact: '<sip:d@10.0.0.4>', Expires: null }));
    assert.deepEqual(contacts(res2).map((c) => c.expires), ['3600']);
  });

  test('423 Interval Too Brief with Min-Expires, and nothing changes', async () => {
    const { registrar, store, events } = setup({ minExpires: 60 });
    const res = await registrar.register(variant({ Contact: ['<sip:a@10.0.0.1>', '<sip:b@10.0.0.2>;expires=30'] }));
    assert.equal(res.status, 423);
    assert.equal(res.reason, 'Interval Too Brief');
    assert.equal(getHeader(res, 'Min-Expires'), '60');
    assert.deepEqual(store.aors(), []);
    assert.deepEqual(events, []);
  });

  test('423 only when 0 < expires < 3600 (an hour is never too brief, zero is removal)', async () => {
    const { registrar } = setup({ minExpires: 7200 });
    assert.equal((await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>;expires=3599' }))).status, 423);
    assert.equal((await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>;expires=3600', CSeq: '21 REGISTER' }))).status, 200);
    assert.equal((await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>;expires=0', CSeq: '22 REGISTER' }))).status, 200);
  });

  test('Contact: * with Expires: 0 removes every binding of the AOR, and only that AOR', async () => {
    const { registrar, events } = setup();
    await registrar.register(variant({ Contact: ['<sip:a@10.0.0.1>', '<sip:b@10.0.0.2>'] }));
    await registrar.register(req(BARESIP_REGISTER));
    const res = await registrar.register(variant({ Contact: '*', Expires: '0', CSeq: '21 REGISTER' }));
    assert.equal(res.status, 200);
    assert.deepEqual(getHeaders(res, 'Contact'), []);
    assert.deepEqual(await registrar.lookup('agent7@acme.surgeline.test'), []);
    assert.equal((await registrar.lookup('1001@127.0.0.1')).length, 1);
    assert.deepEqual(events, [
      'online agent7@acme.surgeline.test sip:b@10.0.0.2',
      'online 1001@127.0.0.1 sip:1001-0x560ce88d3b00@127.0.0.1:15098',
      'offline agent7@acme.surgeline.test unregistered',
    ]);
  });

  test('Contact: * is a 400 with another Contact, with a non-zero Expires, or without Expires', async () => {
    const { registrar } = setup();
    await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>' }));
    for (const headers of [
      { Contact: ['*', '<sip:b@10.0.0.2>'], Expires: '0' },
      { Contact: '*', Expires: '3600' },
      { Contact: '*', Expires: null },
      { Contact: '<sip:b@10.0.0.2>;expires=0, *', Expires: '0' },
    ]) {
      const res = await registrar.register(variant({ ...headers, CSeq: '30 REGISTER' }));
      assert.equal(res.status, 400, JSON.stringify(headers));
    }
    assert.equal((await registrar.lookup('agent7@acme.surgeline.test')).length, 1);
  });

  test('§10.3 step 7 ordering: same Call-ID with CSeq not greater aborts the whole request', async () => {
    const { registrar } = setup();
    await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>', CSeq: '20 REGISTER' }));
    for (const cseq of ['20', '19']) {
      const res = await registrar.register(variant({ Contact: ['<sip:new@10.0.0.9>', '<sip:a@10.0.0.1>;expires=0'], CSeq: `${cseq} REGISTER` }));
      assert.equal(res.status, 400, cseq);
      assert.equal(res.reason, 'Out-of-order REGISTER');
    }
    // Nothing was committed: the new contact was not added, the old one not removed.
    assert.deepEqual((await registrar.lookup('agent7@acme.surgeline.test')).map((b) => b.contact), ['sip:a@10.0.0.1']);
    // Contact: * is held to the same rule.
    const star = await registrar.register(variant({ Contact: '*', Expires: '0', CSeq: '20 REGISTER' }));
    assert.equal(star.status, 400);
    // A greater CSeq goes through.
    const ok = await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>;expires=0', CSeq: '21 REGISTER' }));
    assert.equal(ok.status, 200);
  });

  test('a different Call-ID updates a binding whatever its CSeq (a rebooted phone)', async () => {
    const { registrar } = setup();
    await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>', CSeq: '500 REGISTER' }));
    const res = await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>;expires=60', CSeq: '1 REGISTER', 'Call-ID': 'rebooted' }));
    assert.equal(res.status, 200);
    const [b] = await registrar.lookup('agent7@acme.surgeline.test');
    assert.equal(b?.callId, 'rebooted');
    assert.equal(b?.cseq, 1);
  });

  test('Contact URIs are matched by RFC 3261 §19.1.4 equality, not text', async () => {
    const { registrar } = setup();
    await registrar.register(variant({ Contact: '<sip:agent7@192.168.1.20:5062;transport=udp>' }));
    await registrar.register(variant({ Contact: '<sip:agent7@192.168.1.20:5062;TRANSPORT=UDP>', CSeq: '21 REGISTER' }));
    assert.equal((await registrar.lookup('agent7@acme.surgeline.test')).length, 1);
  });

  test('several contacts: lookup orders by q, then most recent; removing one keeps the AOR online', async () => {
    const { registrar, events, clock } = setup();
    await registrar.register(variant({ Contact: ['<sip:desk@10.0.0.1>;q=0.7', '<sip:soft@10.0.0.2>;q=1.0'], 'Call-ID': 'x1' }));
    clock.advance(1000);
    await registrar.register(variant({ Contact: '<sip:mobile@10.0.0.3>;q=0.7', 'Call-ID': 'x2' }));
    assert.deepEqual(
      (await registrar.lookup('agent7@acme.surgeline.test')).map((b) => [b.contact, b.q]),
      [
        ['sip:soft@10.0.0.2', 1],
        ['sip:mobile@10.0.0.3', 0.7],
        ['sip:desk@10.0.0.1', 0.7],
      ],
    );
    const res = await registrar.register(variant({ Contact: '<sip:soft@10.0.0.2>;expires=0', 'Call-ID': 'x1', CSeq: '21 REGISTER' }));
    assert.equal(getHeaders(res, 'Contact').length, 2);
    assert.deepEqual(events, ['online agent7@acme.surgeline.test sip:soft@10.0.0.2']);
  });

  test('a query (no Contact) lists bindings and changes nothing', async () => {
    const { registrar, events } = setup();
    await registrar.register(variant({ Contact: '<sip:a@10.0.0.1>' }));
    const res = await registrar.register(variant({ Contact: null, CSeq: '21 REGISTER' }));
    assert.equal(res.status, 200);
    assert.deepEqual(contacts(res).map((c) => c.uri), ['sip:a@10.0.0.1']);
    const empty = await setup().registrar.register(variant({ Contact: null }));
    assert.equal(empty.status, 200);
    assert.deepEqual(getHeaders(empty, 'Contact'), []);
    check(getHeader(empty, 'Date'), 'Date on every 200');
    assert.equal(events.length, 1);
  });

  test('same +sip.instance on a new Contact URI replaces the old binding (phone moved behind NAT)', async () => {
    const { registrar } = setup();
    await registrar.register(req(TENANT_REGISTER));
    const moved = TENANT_REGISTER.replaceAll('192.168.1.20:5062', '192.168.1.20:41000').replace('Call-ID: 8hQw0t1qzn', 'Call-ID: after-reboot');
    await registrar.register(req(moved));
    assert.deepEqual(
      (await registrar.lookup('agent7@acme.surgeline.test')).map((b) => b.contact),
      ['sip:agent7@192.168.1.20:41000;transport=udp'],
    );
  });

  test('invalid q, expires or Contact → 400 and nothing committed', async () => {
    const { registrar, store } = setup();
    for (const contact of ['<sip:a@10.0.0.1>;q=1.5', '<sip:a@10.0.0.1>;q=high', '<sip:a@10.0.0.1>;expires=soon', '<mailto:a@b>']) {
      const res = await registrar.register(variant({ Contact: ['<sip:ok@10.0.0.9>', contact] }));
      assert.equal(res.status === 400 || res.status === 416, true, contact);
    }
    assert.equal((await registrar.register(variant({ Expires: 'tomorrow' }))).status, 400);
    assert.deepEqual(store.aors(), []);
  });

  test('403 when the authenticated user is not the AOR\'s user; a custom policy can allow it', async () => {
    const { registrar } = setup();
    const res = await registrar.register(req(TENANT_REGISTER), { authenticatedUser: 'agent8' });
    assert.equal(res.status, 403);
    const { registrar: admin } = setup({ authorize: (user) => user === 'provisioning' });
    assert.equal((await admin.register(req(TENANT_REGISTER), { authenticatedUser: 'provisioning' })).status, 200);
  });

  test('404 for a domain we do not serve (Request-URI or To)', async () => {
    const { registrar } = setup({ isLocalDomain: (h) => h.endsWith('.surgeline.test') });
    assert.equal((await registrar.register(req(TENANT_REGISTER))).status, 200);
    assert.equal((await registrar.register(req(BARESIP_REGISTER))).status, 404);
    const foreignTo = variant({ To: '<sip:agent7@evil.example>', CSeq: '40 REGISTER' });
    assert.equal((await registrar.register(foreignTo)).status, 404);
    const foreignRuri = { ...variant({ CSeq: '41 REGISTER' }), uri: 'sip:evil.example' };
    assert.equal((await registrar.register(foreignRuri)).status, 404);
  });

  test('420 Bad Extension for a Require we do not support', async () => {
    const { registrar } = setup();
    const res = await registrar.register(variant({ Require: 'path, gruu' }));
    assert.equal(res.status, 420);
    assert.equal(getHeader(res, 'Unsupported'), 'path, gruu');
    const { registrar: withPath } = setup({ supported: ['path'] });
    assert.equal(getHeader(await withPath.register(variant({ Require: 'path, gruu' })), 'Unsupported'), 'gruu');
  });

  test('at most maxBindingsPerAor: the stalest binding not in this request is dropped', async () => {
    const { registrar, clock } = setup({ maxBindingsPerAor: 2 });
    await registrar.register(variant({ Contact: '<sip:one@10.0.0.1>', 'Call-ID': 'c1' }));
    clock.advance(1000);
    await registrar.register(variant({ Contact: '<sip:two@10.0.0.2>', 'Call-ID': 'c2' }));
    clock.advance(1000);
    await registrar.register(variant({ Contact: '<sip:three@10.0.0.3>', 'Call-ID': 'c3' }));
    assert.deepEqual((await registrar.lookup('agent7@acme.surgeline.test')).map((b) => b.contact).sort(), ['sip:three@10.0.0.3', 'sip:two@10.0.0.2']);
    const tooMany = await registrar.register(variant({ Contact: ['<sip:a@1.1.1.1>', '<sip:b@1.1.1.2>', '<sip:c@1.1.1.3>'], 'Call-ID': 'c4' }));
    assert.equal(tooMany.status, 403);
  });
});

describe('Registrar: concurrency, stores and events', () => {
  test('concurrent REGISTERs for one AOR are serialised: no update is lost', async () => {
    const { registrar } = setup();
    const slow: BindingStore = new MemoryBindingStore();
    const delayed: BindingStore = {
      get: async (aor) => {
        await new Promise<void>((r) => setImmediate(r));
        return slow.get(aor);
      },
      put: async (aor, b) => {
        await new Promise<void>((r) => setImmediate(r));
        return slow.put(aor, b);
      },
    };
    const r = new Registrar({ store: delayed, clock: new ManualClock(0, T0) });
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => r.register(variant({ Contact: `<sip:p${i}@10.0.0.${i + 1}>`, 'Call-ID': `call-${i}` }))),
    );
    assert.equal((await r.lookup('agent7@acme.surgeline.test')).length, 5);
    r.close();
    registrar.close();
  });

  test('bindings lapsed in the store before any timer ran: offline first, then online', async () => {
    const store = new MemoryBindingStore();
    const stale: Binding = {
      aor: 'agent7@acme.surgeline.test',
      contact: 'sip:old@10.0.0.1',
      params: [],
      q: 1,
      expiresAt: T0 - 1,
      registeredAt: T0 - 3_600_001,
      callId: 'old',
      cseq: 1,
    };
    await store.put(stale.aor, [stale]);
    const clock = new ManualClock(0, T0);
    const registrar = new Registrar({ store, clock });
    const events: string[] = [];
    registrar.on('online', (e) => events.push(`online ${e.binding.contact}`));
    registrar.on('offline', (e) => events.push(`offline ${e.cause}`));
    assert.deepEqual(await registrar.lookup(stale.aor), []);
    await registrar.register(req(TENANT_REGISTER));
    assert.deepEqual(events, ['offline expired', 'online sip:agent7@192.168.1.20:5062;transport=udp']);
    assert.deepEqual((await store.get(stale.aor)).map((b) => b.contact), ['sip:agent7@192.168.1.20:5062;transport=udp']);
    registrar.close();
  });

  test('a throwing listener does not break registration; it is reported', async () => {
    const errors: unknown[] = [];
    const { registrar } = setup({ onError: (e) => errors.push(e) });
    registrar.on('online', () => {
      throw new Error('agent service down');
    });
    const res = await registrar.register(req(TENANT_REGISTER));
    assert.equal(res.status, 200);
    assert.equal(errors.length, 1);
  });

  test('unsubscribe and close: no more events, no pending timers', async () => {
    const { registrar, clock } = setup();
    const seen: string[] = [];
    const off = registrar.on('online', (e) => seen.push(e.aor));
    off();
    await registrar.register(req(TENANT_REGISTER));
    assert.deepEqual(seen, []);
    assert.equal(clock.pending(), 1);
    registrar.close();
    assert.equal(clock.pending(), 0);
  });

  test('the memory store copies in and out', async () => {
    const store = new MemoryBindingStore();
    const b: Binding = { aor: 'a@b', contact: 'sip:x@y', params: [], q: 1, expiresAt: 1, registeredAt: 0, callId: 'c', cseq: 1 };
    const list = [b];
    await store.put('a@b', list);
    list.pop();
    const got = await store.get('a@b');
    assert.equal(got.length, 1);
    got.pop();
    assert.equal((await store.get('a@b')).length, 1);
    await store.put('a@b', []);
    assert.deepEqual(store.aors(), []);
  });

  test('normaliseAor accepts URIs and user@domain, and drops scheme, port and parameters', () => {
    assert.equal(normaliseAor('sip:agent7@ACME.surgeline.test:5060;transport=tcp'), 'agent7@acme.surgeline.test');
    assert.equal(normaliseAor('sips:agent7@acme.surgeline.test'), 'agent7@acme.surgeline.test');
    assert.equal(normaliseAor('sip:%61gent7@acme.surgeline.test'), 'agent7@acme.surgeline.test');
    assert.equal(normaliseAor('Agent7@Acme.Surgeline.Test'), 'Agent7@acme.surgeline.test');
    assert.throws(() => normaliseAor('tel:+15551234567'), RangeError);
    assert.throws(() => normaliseAor('agent7'), RangeError);
  });

  test('register() refuses other methods', async () => {
    const { registrar } = setup();
    await assert.rejects(registrar.register({ ...req(TENANT_REGISTER), method: 'INVITE' }), RangeError);
  });
});
