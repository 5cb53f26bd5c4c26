import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { parseMessage } from '../../src/sip/parser.ts';
import { serializeMessage } from '../../src/sip/serialize.ts';
import { getHeader, getHeaders, parseVia, setHeader } from '../../src/sip/headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.ts';
import { DigestClientState, MAX_STALE_RETRIES, authorizeRequest, preauthorizeRequest } from '../../src/sip/auth/client.ts';
import type { AuthorizeResult } from '../../src/sip/auth/client.ts';
import { DigestAuthenticator, hashCredentials } from '../../src/sip/auth/server.ts';
import type { AuthResult, DigestAuthenticatorOptions } from '../../src/sip/auth/server.ts';
import { formatChallenge, parseChallenge, parseCredentials } from '../../src/sip/auth/challenge.ts';

/**
 * assert.ok without a message makes Node regenerate the failing expression from source,
 * which under tsx reads the wrong line and can spin for minutes: always pass a message.
 */
function check(value: unknown, message = 'expected a truthy value'): asserts value {
  assert.ok(value, message);
}

function authorized(r: AuthorizeResult): SipRequest {
  if (!r.ok) assert.fail(`authorizeRequest gave up: ${r.reason}`);
  return r.request;
}

function refused(r: AuthResult): SipResponse {
  if (r.ok) assert.fail('expected the authenticator to refuse');
  return r.response;
}

/** Through our serializer and parser, as on the wire. */
function wire<M extends SipMessage>(m: M): M {
  return parseMessage(serializeMessage(m)) as M;
}

function msg<K extends SipMessage['kind']>(text: string, kind: K): Extract<SipMessage, { kind: K }> {
  const m = parseMessage(Buffer.from(text, 'utf8'));
  assert.equal(m.kind, kind);
  return m as Extract<SipMessage, { kind: K }>;
}

// Captured on loopback: baresip 1.0.0's first REGISTER, the 401 it got (nonce from
// src/sip/auth/nonce.ts), and its answer (password "CircleOfLife").
const BARESIP_REGISTER =
  'REGISTER sip:127.0.0.1:15099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:15098;branch=z9hG4bKe5dcbe37ff200dbf;rport\r\nContact: <sip:1001-0x560ce88d3b00@127.0.0.1:15098>;expires=600\r\nMax-Forwards: 70\r\nTo: <sip:1001@127.0.0.1:15099>\r\nFrom: <sip:1001@127.0.0.1:15099>;tag=5682f531beccc8a0\r\nCall-ID: a1954799510b190a\r\nCSeq: 32010 REGISTER\r\nUser-Agent: baresip v1.0.0 (x86_64/linux)\r\nAllow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,REFER\r\nContent-Length: 0\r\n\r\n';
const CHALLENGE_401 =
  'SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 127.0.0.1:15098;branch=z9hG4bKe5dcbe37ff200dbf;rport\r\nTo: <sip:1001@127.0.0.1:15099>;tag=cap1\r\nFrom: <sip:1001@127.0.0.1:15099>;tag=5682f531beccc8a0\r\nCall-ID: a1954799510b190a\r\nCSeq: 32010 REGISTER\r\nWWW-Authenticate: Digest realm="surgeline.test", nonce="AAABogk/pa3EwI2TDoUiY79ZwjkZ3G0Bn2TX3qnF/ECTssxt3DuW+RZw8ZvOOYVl", algorithm=MD5, qop="auth"\r\nContent-Length: 0\r\n\r\n';
const BARESIP_AUTHORIZATION =
  'Digest username="1001", realm="surgeline.test", nonce="AAABogk/pa3EwI2TDoUiY79ZwjkZ3G0Bn2TX3qnF/ECTssxt3DuW+RZw8ZvOOYVl", uri="sip:127.0.0.1:15099", response="a935f9286b1390565e00f628826962b9", cnonce="e06156c89468eb1e", qop=auth, nc=00000001';

// The SDP-carrying INVITE SIPp 3.6.1 sent before its 407.
const SIPP_INVITE =
  'INVITE sip:4008001111@127.0.0.1:15099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:15097;branch=z9hG4bK-14794-1-0\r\nFrom: "Agent 1001" <sip:1001@127.0.0.1:15097>;tag=14794SIPpTag001\r\nTo: <sip:4008001111@127.0.0.1:15099>\r\nCall-ID: 1-14794@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@127.0.0.1:15097>\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

const CREDS = { username: '1001', password: 'CircleOfLife' };
const REALM = 'surgeline.test';

function fixedCnonce(...values: string[]): () => string {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 'x';
}

function challengeWith(request: SipRequest, status: 401 | 407, values: string[]): SipResponse {
  const name = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  return {
    kind: 'response',
    status,
    reason: status === 401 ? 'Unauthorized' : 'Proxy Authentication Required',
    headers: [
      ...request.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)),
      ...values.map((value) => ({ name, value })),
    ],
    body: Buffer.alloc(0),
  };
}

describe('authorizeRequest against captured bytes', () => {
  test('reproduces baresip\'s own answer to the same 401 (same cnonce → same response)', () => {
    const request = msg(BARESIP_REGISTER, 'request');
    const state = new DigestClientState(fixedCnonce('e06156c89468eb1e'));
    const retry = authorized(authorizeRequest(request, msg(CHALLENGE_401, 'response'), CREDS, state));
    const ours = parseCredentials(getHeader(retry, 'Authorization') ?? '');
    const theirs = parseCredentials(BARESIP_AUTHORIZATION);
    assert.equal(ours.response, theirs.response);
    assert.equal(ours.uri, 'sip:127.0.0.1:15099');
    assert.equal(ours.nc, '00000001');
    assert.equal(ours.qop, 'auth');
    assert.equal(ours.algorithm, 'MD5');
  });

  test('changes exactly CSeq (+1), the top Via branch, and adds Authorization; the input is untouched', () => {
    const request = msg(BARESIP_REGISTER, 'request');
    const before = serializeMessage(request).toString();
    const retry = authorized(authorizeRequest(request, msg(CHALLENGE_401, 'response'), CREDS, new DigestClientState()));
    assert.equal(serializeMessage(request).toString(), before);
    assert.equal(getHeader(retry, 'CSeq'), '32011 REGISTER');
    const oldVia = parseVia(getHeader(request, 'Via') ?? '');
    const newVia = parseVia(getHeader(retry, 'Via') ?? '');
    const branch = newVia.params.get('branch') ?? '';
    check(branch.startsWith('z9hG4bK') && branch !== oldVia.params.get('branch'), 'fresh RFC 3261 branch');
    check(newVia.params.has('rport'), 'other Via params kept');
    const strip = (m: SipRequest) =>
      m.headers.filter((h) => !['CSeq', 'Via', 'Authorization'].includes(h.name)).map((h) => `${h.name}: ${h.value}`);
    assert.deepEqual(strip(retry), strip(request));
    assert.equal(retry.uri, request.uri);
    assert.equal(retry.method, request.method);
    // And the result is a well-formed message.
    assert.equal(getHeader(wire(retry), 'Authorization'), getHeader(retry, 'Authorization'));
  });

  test('SIPp INVITE with SDP, 407 → Proxy-Authorization, body and Content-Length kept', () => {
    const invite = msg(SIPP_INVITE, 'request');
    const ch = challengeWith(invite, 407, [`Digest realm="${REALM}", nonce="abc", algorithm=MD5, qop="auth"`]);
    const retry = authorized(authorizeRequest(invite, ch, CREDS, new DigestClientState()));
    assert.equal(getHeaders(retry, 'Authorization').length, 0);
    assert.equal(parseCredentials(getHeader(retry, 'Proxy-Authorization') ?? '').uri, 'sip:4008001111@127.0.0.1:15099');
    assert.equal(getHeader(retry, 'CSeq'), '2 INVITE');
    assert.deepEqual(retry.body, invite.body);
    assert.equal(serializeMessage(retry).toString().split('\r\n\r\n')[1], serializeMessage(invite).toString().split('\r\n\r\n')[1]);
  });
});

describe('authorizeRequest: choosing among challenges', () => {
  const request = msg(BARESIP_REGISTER, 'request');

  test('SHA-256 preferred over MD5 whatever the order', () => {
    for (const order of [
      ['MD5', 'SHA-256'],
      ['SHA-256', 'MD5'],
    ]) {
      const ch = challengeWith(
        request,
        401,
        order.map((a) => formatChallenge({ realm: REALM, nonce: 'n1', algorithm: a, qop: ['auth'] })),
      );
      const retry = authorized(authorizeRequest(request, ch, CREDS, new DigestClientState()));
      const creds = getHeaders(retry, 'Authorization');
      assert.equal(creds.length, 1);
      assert.equal(parseCredentials(creds[0] ?? '').algorithm, 'SHA-256');
      assert.equal(parseCredentials(creds[0] ?? '').response.length, 64);
    }
  });

  test('unknown algorithms and qops are skipped, not fatal', () => {
    const ch = challengeWith(request, 401, [
      'Digest realm="surgeline.test", nonce="n", algorithm=SHA-512-256, qop="auth"',
      'Digest realm="surgeline.test", nonce="n", algorithm=AKAv1-MD5, qop="auth"',
      'Digest realm="surgeline.test", nonce="n", qop="auth-conf"',
      'Basic realm="surgeline.test"',
      'Digest realm="surgeline.test", nonce="n", algorithm=MD5, qop="auth"',
    ]);
    const retry = authorized(authorizeRequest(request, ch, CREDS, new DigestClientState()));
    assert.equal(parseCredentials(getHeader(retry, 'Authorization') ?? '').algorithm, 'MD5');
  });

  test('nothing usable → gives up with a reason', () => {
    const ch = challengeWith(request, 401, ['Digest realm="surgeline.test", nonce="n", algorithm=SHA-512-256']);
    const r = authorizeRequest(request, ch, CREDS, new DigestClientState());
    check(!r.ok && /no usable/.test(r.reason), 'gave up');
    const none = authorizeRequest(request, challengeWith(request, 401, []), CREDS, new DigestClientState());
    check(!none.ok, 'no challenge at all');
    const notChallenge = authorizeRequest(request, { ...challengeWith(request, 401, []), status: 403 }, CREDS, new DigestClientState());
    check(!notChallenge.ok && /not a challenge/.test(notChallenge.reason), '403 is not a challenge');
  });

  test('no qop offered → RFC 2069 form (no nc, no cnonce); opaque echoed; algorithm absent stays absent', () => {
    const ch = challengeWith(request, 401, ['Digest realm="surgeline.test", nonce="n", opaque="o p"']);
    const c = parseCredentials(getHeader(authorized(authorizeRequest(request, ch, CREDS, new DigestClientState())), 'Authorization') ?? '');
    assert.equal(c.qop, undefined);
    assert.equal(c.nc, undefined);
    assert.equal(c.cnonce, undefined);
    assert.equal(c.opaque, 'o p');
    assert.equal(c.algorithm, undefined);
  });

  test('credentials with a realm answer only that realm; two proxies get one header each', () => {
    const ch = challengeWith(request, 407, [
      'Digest realm="carrier.example", nonce="a", algorithm=MD5, qop="auth"',
      'Digest realm="surgeline.test", nonce="b", algorithm=MD5, qop="auth"',
    ]);
    const only = authorized(authorizeRequest(request, ch, { ...CREDS, realm: REALM }, new DigestClientState()));
    assert.deepEqual(
      getHeaders(only, 'Proxy-Authorization').map((v) => parseCredentials(v).realm),
      [REALM],
    );
    const both = authorized(authorizeRequest(request, ch, CREDS, new DigestClientState()));
    assert.deepEqual(
      getHeaders(both, 'Proxy-Authorization').map((v) => parseCredentials(v).realm),
      ['carrier.example', REALM],
    );
    const other = authorizeRequest(request, ch, { ...CREDS, realm: 'nowhere' }, new DigestClientState());
    check(!other.ok, 'no challenge for that realm');
  });

  test('CANCEL and ACK are never authorised (RFC 3261 §22.1)', () => {
    const cancel: SipRequest = { ...request, method: 'CANCEL' };
    const r = authorizeRequest(cancel, msg(CHALLENGE_401, 'response'), CREDS, new DigestClientState());
    check(!r.ok, 'CANCEL refused');
  });
});

describe('client.ts ↔ server.ts round trips', () => {
  function setup(overrides: Partial<DigestAuthenticatorOptions> = {}) {
    const clock = new ManualClock(0, Date.UTC(2026, 10, 11, 9, 0, 0));
    const stored = hashCredentials('1001', REALM, 'CircleOfLife');
    const server = new DigestAuthenticator({
      realm: REALM,
      secret: 'round-trip-secret-0123456789abcdef',
      clock,
      lookup: async (user) => (user === '1001' ? stored : undefined),
      ...overrides,
    });
    return { clock, server };
  }

  async function challenge(server: DigestAuthenticator, request: SipRequest, header: 'Authorization' | 'Proxy-Authorization' = 'Authorization') {
    return wire(refused(await server.authenticate(wire(request), header)));
  }

  test('REGISTER: 401 → retry → accepted (SHA-256 chosen)', async () => {
    const { server } = setup();
    const request = msg(BARESIP_REGISTER, 'request');
    const retry = authorized(authorizeRequest(request, await challenge(server, request), CREDS, new DigestClientState()));
    assert.equal(parseCredentials(getHeader(retry, 'Authorization') ?? '').algorithm, 'SHA-256');
    assert.deepEqual(await server.authenticate(wire(retry), 'Authorization'), { ok: true, username: '1001' });
  });

  test('INVITE with SDP: 407 → retry → accepted', async () => {
    const { server } = setup();
    const invite = msg(SIPP_INVITE, 'request');
    const retry = authorized(authorizeRequest(invite, await challenge(server, invite, 'Proxy-Authorization'), CREDS, new DigestClientState()));
    assert.deepEqual(await server.authenticate(wire(retry), 'Proxy-Authorization'), { ok: true, username: '1001' });
  });

  for (const algorithm of ['MD5-sess', 'SHA-256-sess'] as const) {
    test(`${algorithm} round trip`, async () => {
      const { server } = setup({ algorithms: [algorithm] });
      const request = msg(BARESIP_REGISTER, 'request');
      const retry = authorized(authorizeRequest(request, await challenge(server, request), CREDS, new DigestClientState()));
      assert.equal(parseCredentials(getHeader(retry, 'Authorization') ?? '').algorithm, algorithm);
      assert.deepEqual(await server.authenticate(wire(retry), 'Authorization'), { ok: true, username: '1001' });
    });
  }

  test('wrong password: the server re-challenges without stale, the client gives up', async () => {
    const { server } = setup();
    const state = new DigestClientState();
    const request = msg(BARESIP_REGISTER, 'request');
    const wrong = { username: '1001', password: 'nope' };
    const retry = authorized(authorizeRequest(request, await challenge(server, request), wrong, state));
    const second = wire(refused(await server.authenticate(wire(retry), 'Authorization')));
    assert.equal(second.status, 401);
    const r = authorizeRequest(retry, second, wrong, state);
    check(!r.ok && /rejected/.test(r.reason), 'gave up after one failed retry');
  });

  test('stale nonce: the client retries by itself, and succeeds', async () => {
    const { server, clock } = setup({ nonceLifetimeMs: 30_000 });
    const state = new DigestClientState();
    const request = msg(BARESIP_REGISTER, 'request');
    const first = authorized(authorizeRequest(request, await challenge(server, request), CREDS, state));
    clock.advance(31_000);
    const stale = wire(refused(await server.authenticate(wire(first), 'Authorization')));
    check(getHeaders(stale, 'WWW-Authenticate').every((v) => parseChallenge(v).stale === true), 'stale=true');
    const second = authorized(authorizeRequest(first, stale, CREDS, state));
    assert.equal(getHeader(second, 'CSeq'), '32012 REGISTER');
    assert.deepEqual(await server.authenticate(wire(second), 'Authorization'), { ok: true, username: '1001' });
  });

  test('replayed request: stale, the legitimate client recovers', async () => {
    const { server } = setup();
    const state = new DigestClientState();
    const request = msg(BARESIP_REGISTER, 'request');
    const first = authorized(authorizeRequest(request, await challenge(server, request), CREDS, state));
    assert.equal((await server.authenticate(wire(first), 'Authorization')).ok, true);
    const replayed = wire(refused(await server.authenticate(wire(first), 'Authorization')));
    const again = authorized(authorizeRequest(first, replayed, CREDS, state));
    assert.equal((await server.authenticate(wire(again), 'Authorization')).ok, true);
  });

  test('preauthorizeRequest reuses the nonce with nc 2, 3 … and the server accepts each', async () => {
    const { server } = setup();
    const state = new DigestClientState();
    const request = msg(BARESIP_REGISTER, 'request');
    const first = authorized(authorizeRequest(request, await challenge(server, request), CREDS, state));
    assert.equal((await server.authenticate(wire(first), 'Authorization')).ok, true);
    for (const [cseq, nc] of [
      [40, '00000002'],
      [41, '00000003'],
    ] as const) {
      const refresh = preauthorizeRequest(setHeader(request, 'CSeq', `${cseq} REGISTER`), CREDS, state);
      assert.equal(parseCredentials(getHeader(refresh, 'Authorization') ?? '').nc, nc);
      assert.equal(getHeader(refresh, 'CSeq'), `${cseq} REGISTER`);
      assert.deepEqual(await server.authenticate(wire(refresh), 'Authorization'), { ok: true, username: '1001' });
    }
  });

  test('a preauthorized request on an expired nonce: stale → one retry → accepted', async () => {
    const { server, clock } = setup({ nonceLifetimeMs: 30_000 });
    const state = new DigestClientState();
    const request = msg(BARESIP_REGISTER, 'request');
    const first = authorized(authorizeRequest(request, await challenge(server, request), CREDS, state));
    assert.equal((await server.authenticate(wire(first), 'Authorization')).ok, true);
    clock.advance(60_000);
    const refresh = preauthorizeRequest(request, CREDS, state);
    const stale = wire(refused(await server.authenticate(wire(refresh), 'Authorization')));
    const retry = authorized(authorizeRequest(refresh, stale, CREDS, state));
    assert.equal(parseCredentials(getHeader(retry, 'Authorization') ?? '').nc, '00000001');
    assert.equal((await server.authenticate(wire(retry), 'Authorization')).ok, true);
  });

  test('a preauthorized request the server forgot without saying stale gets one fresh try', async () => {
    const { server } = setup();
    const state = new DigestClientState();
    const request = msg(BARESIP_REGISTER, 'request');
    const first = authorized(authorizeRequest(request, await challenge(server, request), CREDS, state));
    assert.equal((await server.authenticate(wire(first), 'Authorization')).ok, true);
    const refresh = preauthorizeRequest(request, CREDS, state); // nc=2
    const plain = challengeWith(refresh, 401, [formatChallenge({ realm: REALM, nonce: 'fresh', algorithm: 'SHA-256', qop: ['auth'] })]);
    const retry = authorized(authorizeRequest(refresh, plain, CREDS, state));
    const c = parseCredentials(getHeader(retry, 'Authorization') ?? '');
    assert.equal(c.nonce, 'fresh');
    assert.equal(c.nc, '00000001');
    // …but that one failing too is final.
    const again = challengeWith(retry, 401, [formatChallenge({ realm: REALM, nonce: 'fresher', algorithm: 'SHA-256', qop: ['auth'] })]);
    check(!authorizeRequest(retry, again, CREDS, state).ok, 'gave up');
  });

  test('the server sending back the nonce we just used ends it, stale or not', () => {
    const request = msg(BARESIP_REGISTER, 'request');
    const state = new DigestClientState();
    const ch = challengeWith(request, 401, [formatChallenge({ realm: REALM, nonce: 'same', algorithm: 'MD5', qop: ['auth'] })]);
    const first = authorized(authorizeRequest(request, ch, CREDS, state));
    const staleSame = challengeWith(first, 401, [formatChallenge({ realm: REALM, nonce: 'same', stale: true, algorithm: 'MD5', qop: ['auth'] })]);
    check(!authorizeRequest(first, staleSame, CREDS, state).ok, 'same nonce → give up');
  });

  test('a server that challenges a new request with a nonce we already used gets the next nc', () => {
    const request = msg(BARESIP_REGISTER, 'request');
    const state = new DigestClientState();
    const ch = challengeWith(request, 401, [formatChallenge({ realm: REALM, nonce: 'reused', algorithm: 'MD5', qop: ['auth'] })]);
    const first = authorized(authorizeRequest(request, ch, CREDS, state));
    assert.equal(parseCredentials(getHeader(first, 'Authorization') ?? '').nc, '00000001');
    const later = authorized(authorizeRequest(setHeader(request, 'CSeq', '50 REGISTER'), ch, CREDS, state));
    assert.equal(parseCredentials(getHeader(later, 'Authorization') ?? '').nc, '00000002');
  });

  test(`endless stale=true gives up after ${MAX_STALE_RETRIES} retries`, () => {
    let request = msg(BARESIP_REGISTER, 'request');
    const state = new DigestClientState();
    let n = 0;
    const next = (stale: boolean) =>
      challengeWith(request, 401, [formatChallenge({ realm: REALM, nonce: `n${n++}`, algorithm: 'MD5', qop: ['auth'], ...(stale ? { stale } : {}) })]);
    request = authorized(authorizeRequest(request, next(false), CREDS, state));
    for (let i = 0; i < MAX_STALE_RETRIES; i++) request = authorized(authorizeRequest(request, next(true), CREDS, state));
    const r = authorizeRequest(request, next(true), CREDS, state);
    check(!r.ok && /stale/.test(r.reason), 'gave up on the stale loop');
  });
});
