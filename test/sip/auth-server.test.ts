import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { parseMessage } from '../../src/sip/parser.ts';
import { serializeMessage } from '../../src/sip/serialize.ts';
import { getHeader, getHeaders, parseNameAddr, removeHeader, setHeader } from '../../src/sip/headers.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';
import { DigestAuthenticator, hashCredentials } from '../../src/sip/auth/server.ts';
import type { DigestAuthenticatorOptions, HashedCredentials } from '../../src/sip/auth/server.ts';
import { formatCredentials, parseChallenge, parseCredentials } from '../../src/sip/auth/challenge.ts';
import { computeHa1, computeResponse } from '../../src/sip/auth/digest.ts';
import type { DigestAlgorithm } from '../../src/sip/auth/digest.ts';
import { issueNonce } from '../../src/sip/auth/nonce.ts';

/**
 * assert.ok without a message makes Node regenerate the failing expression from source,
 * which under tsx reads the wrong line and can spin for minutes: always pass a message.
 */
function check(value: unknown, message = 'expected a truthy value'): asserts value {
  assert.ok(value, message);
}


// Captured on loopback: baresip 1.0.0 (libre 1.1.0) registering as 1001 / "CircleOfLife"
// against a responder that challenged with nonces from src/sip/auth/nonce.ts under
// SECRET, realm "surgeline.test", at wall time CAPTURED_AT (epoch ms).
const SECRET = 'surgeline-test-secret-0123456789';
const REALM = 'surgeline.test';
const PASSWORD = 'CircleOfLife';
const CAPTURED_AT = 1795451495856;

const BARESIP_REGISTER_AUTHORIZED =
  'REGISTER sip:127.0.0.1:15099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:15098;branch=z9hG4bKe831442783f5ec84;rport\r\nContact: <sip:1001-0x560ce88d3b00@127.0.0.1:15098>;expires=600\r\nMax-Forwards: 70\r\nAuthorization: Digest username="1001", realm="surgeline.test", nonce="AAABogk/pa3EwI2TDoUiY79ZwjkZ3G0Bn2TX3qnF/ECTssxt3DuW+RZw8ZvOOYVl", uri="sip:127.0.0.1:15099", response="a935f9286b1390565e00f628826962b9", cnonce="e06156c89468eb1e", qop=auth, nc=00000001\r\nTo: <sip:1001@127.0.0.1:15099>\r\nFrom: <sip:1001@127.0.0.1:15099>;tag=5682f531beccc8a0\r\nCall-ID: a1954799510b190a\r\nCSeq: 32011 REGISTER\r\nUser-Agent: baresip v1.0.0 (x86_64/linux)\r\nAllow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,REFER\r\nContent-Length: 0\r\n\r\n';

const BARESIP_REGISTER_PLAIN =
  'REGISTER sip:127.0.0.1:15099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:15098;branch=z9hG4bKe5dcbe37ff200dbf;rport\r\nContact: <sip:1001-0x560ce88d3b00@127.0.0.1:15098>;expires=600\r\nMax-Forwards: 70\r\nTo: <sip:1001@127.0.0.1:15099>\r\nFrom: <sip:1001@127.0.0.1:15099>;tag=5682f531beccc8a0\r\nCall-ID: a1954799510b190a\r\nCSeq: 32010 REGISTER\r\nUser-Agent: baresip v1.0.0 (x86_64/linux)\r\nAllow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,REFER\r\nContent-Length: 0\r\n\r\n';

// SIPp 3.6.1 answering a 407 with [authentication]: note uri="sip:127.0.0.1:15099", not
// the Request-URI (SIPp derives it from the remote host), captured at SIPP_AT.
const SIPP_AT = 1795451519742;
const SIPP_INVITE_AUTHORIZED =
  'INVITE sip:4008001111@127.0.0.1:15099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:15097;branch=z9hG4bK-14794-1-3\r\nFrom: "Agent 1001" <sip:1001@127.0.0.1:15097>;tag=14794SIPpTag001\r\nTo: <sip:4008001111@127.0.0.1:15099>\r\nCall-ID: 1-14794@127.0.0.1\r\nCSeq: 2 INVITE\r\nContact: <sip:1001@127.0.0.1:15097>\r\nProxy-Authorization: Digest username="1001",realm="surgeline.test",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:15099",nonce="AAABoglAAvmYqH52VNdbG3ZrVCceSlHJ11sJryCTqSk5Qu1POfPJhVwgHaekFdUa",response="6586bb289ccfb6b9839e30faa805ff30",algorithm=MD5\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

function req(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text, 'utf8'));
  assert.equal(m.kind, 'request');
  return m;
}

/** Through the wire and back: the challenge must survive our serializer and parser. */
function wire(m: SipResponse): SipResponse {
  const back = parseMessage(serializeMessage(m));
  assert.equal(back.kind, 'response');
  return back;
}

const USERS = new Map<string, HashedCredentials>([
  ['1001', hashCredentials('1001', REALM, PASSWORD)],
  ['Mufasa', hashCredentials('Mufasa', REALM, 'Circle of Life')],
]);

function setup(overrides: Partial<DigestAuthenticatorOptions> = {}, wallStart = CAPTURED_AT) {
  const clock = new ManualClock(0, wallStart);
  const lookups: string[] = [];
  const auth = new DigestAuthenticator({
    realm: REALM,
    secret: SECRET,
    clock,
    lookup: async (user, realm) => {
      lookups.push(`${user}@${realm}`);
      return realm === REALM ? USERS.get(user) : undefined;
    },
    ...overrides,
  });
  return { clock, auth, lookups };
}

/** Answer a challenge the way a UA would, formatted the way linphone (belle-sip) writes it. */
function answer(
  request: SipRequest,
  challenge: SipResponse,
  opts: { user?: string; password?: string; algorithm?: DigestAlgorithm; nc?: string; cnonce?: string; header?: string; uri?: string; qop?: boolean } = {},
): SipRequest {
  const name = challenge.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  const algorithm = opts.algorithm ?? 'SHA-256';
  const ch = getHeaders(challenge, name)
    .map(parseChallenge)
    .find((c) => (c.algorithm ?? 'MD5') === algorithm);
  check(ch, `challenge offers ${algorithm}`);
  const user = opts.user ?? '1001';
  const uri = opts.uri ?? request.uri;
  const nc = opts.nc ?? '00000001';
  const cnonce = opts.cnonce ?? 'b1a5c9e0';
  const qop = opts.qop ?? true;
  const response = computeResponse({
    algorithm,
    ha1: computeHa1(algorithm, user, ch.realm, opts.password ?? PASSWORD),
    nonce: ch.nonce,
    method: request.method,
    uri,
    ...(qop ? { qop: 'auth' as const, nc, cnonce } : {}),
  });
  // belle-sip order: realm, nonce, algorithm, username, uri, response, cnonce, nc, qop
  const value = qop
    ? `Digest realm="${ch.realm}", nonce="${ch.nonce}", algorithm=${algorithm}, username="${user}",  uri="${uri}", response="${response}", cnonce="${cnonce}", nc=${nc}, qop=auth`
    : `Digest realm="${ch.realm}", nonce="${ch.nonce}", algorithm=${algorithm}, username="${user}",  uri="${uri}", response="${response}"`;
  return setHeader(request, opts.header ?? (challenge.status === 407 ? 'Proxy-Authorization' : 'Authorization'), value);
}

describe('DigestAuthenticator: challenges', () => {
  test('no credentials → 401 with SHA-256 then MD5, one nonce, qop="auth", a To tag', async () => {
    const { auth } = setup();
    const r = await auth.authenticate(req(BARESIP_REGISTER_PLAIN), 'Authorization');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.code, 'no-credentials');
    const res = wire(r.response);
    assert.equal(res.status, 401);
    assert.equal(res.reason, 'Unauthorized');
    const challenges = getHeaders(res, 'WWW-Authenticate').map(parseChallenge);
    assert.deepEqual(
      challenges.map((c) => c.algorithm),
      ['SHA-256', 'MD5'],
    );
    for (const c of challenges) {
      assert.equal(c.realm, REALM);
      assert.deepEqual(c.qop, ['auth']);
      assert.equal(c.stale, undefined);
    }
    assert.equal(challenges[0]?.nonce, challenges[1]?.nonce);
    assert.equal(getHeader(res, 'Call-ID'), 'a1954799510b190a');
    assert.equal(getHeader(res, 'CSeq'), '32010 REGISTER');
    check(parseNameAddr(getHeader(res, 'To') ?? '').params.get('tag'));
  });

  test('Proxy-Authorization → 407 with Proxy-Authenticate', async () => {
    const { auth } = setup();
    const invite = removeHeader(req(SIPP_INVITE_AUTHORIZED), 'Proxy-Authorization');
    const r = await auth.authenticate(invite, 'Proxy-Authorization');
    check(!r.ok);
    const res = wire(r.response);
    assert.equal(res.status, 407);
    assert.equal(getHeaders(res, 'Proxy-Authenticate').length, 2);
    assert.equal(getHeaders(res, 'WWW-Authenticate').length, 0);
  });

  test('the offered algorithms are configurable (MD5 only, for UAs that choke on SHA-256)', async () => {
    const { auth } = setup({ algorithms: ['MD5'] });
    const r = await auth.authenticate(req(BARESIP_REGISTER_PLAIN), 'Authorization');
    check(!r.ok);
    assert.deepEqual(
      getHeaders(r.response, 'WWW-Authenticate').map((v) => parseChallenge(v).algorithm),
      ['MD5'],
    );
  });

  test('a bad secret is refused at construction', () => {
    assert.throws(() => setup({ secret: 'short' }), RangeError);
    assert.throws(() => setup({ algorithms: [] }), RangeError);
  });
});

describe('DigestAuthenticator: captured credentials', () => {
  test('baresip 1.0.0 REGISTER (MD5, qop=auth) is accepted', async () => {
    const { auth } = setup();
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization');
    assert.deepEqual(r, { ok: true, username: '1001' });
  });

  test('the same bytes again are a replay (nc not greater) → 401 stale=true', async () => {
    const { auth } = setup();
    check((await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization')).ok);
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'replay');
    assert.equal(r.response.status, 401);
    const ch = getHeaders(r.response, 'WWW-Authenticate').map(parseChallenge);
    check(ch.every((c) => c.stale === true));
    assert.notEqual(ch[0]?.nonce, parseCredentials(getHeader(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization') ?? '').nonce);
  });

  test('the same bytes after the nonce lifetime → 401 stale=true', async () => {
    const { auth, clock } = setup({ nonceLifetimeMs: 60_000 });
    clock.advance(60_001);
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'stale-nonce');
    check(getHeaders(r.response, 'WWW-Authenticate').every((v) => parseChallenge(v).stale === true));
  });

  test('a wrong stored password → 401 without stale (the UA must not retry silently)', async () => {
    const { auth } = setup({ lookup: async () => hashCredentials('1001', REALM, 'not-it') });
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'bad-response');
    assert.equal(r.response.status, 401);
    check(getHeaders(r.response, 'WWW-Authenticate').every((v) => parseChallenge(v).stale === undefined));
  });

  test('an unknown user gets the same 401 as a wrong password', async () => {
    const { auth } = setup({ lookup: async () => undefined });
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'unknown-user');
    assert.equal(r.response.status, 401);
    check(getHeaders(r.response, 'WWW-Authenticate').every((v) => parseChallenge(v).stale === undefined));
  });

  test('another realm → challenged, the lookup never asked', async () => {
    const { auth, lookups } = setup({ realm: 'other.test' });
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'no-credentials');
    assert.deepEqual(lookups, []);
  });

  test('a correct digest on a nonce minted under another secret → stale=true, so the UA recovers', async () => {
    const { auth } = setup({ secret: 'a-rotated-secret-after-restart!!' });
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'unknown-nonce');
    check(getHeaders(r.response, 'WWW-Authenticate').every((v) => parseChallenge(v).stale === true));
  });

  test('SIPp 3.6.1 INVITE: digest-uri is not the Request-URI → 400 (RFC 2617 §3.2.2.5)', async () => {
    const { auth } = setup({}, SIPP_AT);
    const r = await auth.authenticate(req(SIPP_INVITE_AUTHORIZED), 'Proxy-Authorization');
    check(!r.ok);
    assert.equal(r.code, 'uri-mismatch');
    assert.equal(r.response.status, 400);
  });

  test('SIPp 3.6.1 INVITE is accepted with verifyDigestUri: false', async () => {
    const { auth } = setup({ verifyDigestUri: false }, SIPP_AT);
    const r = await auth.authenticate(req(SIPP_INVITE_AUTHORIZED), 'Proxy-Authorization');
    assert.deepEqual(r, { ok: true, username: '1001' });
  });

  test('credentials in Authorization do not answer a Proxy-Authorization check', async () => {
    const { auth } = setup();
    const r = await auth.authenticate(req(BARESIP_REGISTER_AUTHORIZED), 'Proxy-Authorization');
    check(!r.ok);
    assert.equal(r.response.status, 407);
  });

  test('the digest-uri may differ in form but not in meaning from the Request-URI (§19.1.4)', async () => {
    const { auth } = setup();
    const challenge = await auth.authenticate(req(BARESIP_REGISTER_PLAIN), 'Authorization');
    check(!challenge.ok);
    const reg = req(BARESIP_REGISTER_PLAIN.replace('REGISTER sip:127.0.0.1:15099 SIP', 'REGISTER sip:127.0.0.1:15099;transport=udp SIP'));
    const ok = await auth.authenticate(answer(reg, challenge.response, { uri: 'SIP:127.0.0.1:15099;Transport=UDP' }), 'Authorization');
    assert.deepEqual(ok, { ok: true, username: '1001' });
  });
});

describe('DigestAuthenticator: challenge → answer', () => {
  async function challenged(auth: DigestAuthenticator, text = BARESIP_REGISTER_PLAIN): Promise<SipResponse> {
    const r = await auth.authenticate(req(text), 'Authorization');
    check(!r.ok);
    return wire(r.response);
  }

  for (const algorithm of ['SHA-256', 'MD5'] as const) {
    test(`${algorithm} answer accepted`, async () => {
      const { auth } = setup();
      const ch = await challenged(auth);
      const r = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), ch, { algorithm }), 'Authorization');
      assert.deepEqual(r, { ok: true, username: '1001' });
    });
  }

  test('an algorithm we did not offer is challenged again', async () => {
    const { auth } = setup({ algorithms: ['SHA-256'] });
    const ch = await challenged(auth);
    const md5 = setHeader(ch, 'WWW-Authenticate', getHeader(ch, 'WWW-Authenticate')!.replace('SHA-256', 'MD5'));
    const r = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), md5, { algorithm: 'MD5' }), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'unsupported-algorithm');
  });

  test('nonce-count must increase per nonce: 1, 2 ok; 2 again replay; 3 ok', async () => {
    const { auth } = setup();
    const ch = await challenged(auth);
    const base = req(BARESIP_REGISTER_PLAIN);
    check((await auth.authenticate(answer(base, ch, { nc: '00000001' }), 'Authorization')).ok);
    check((await auth.authenticate(answer(base, ch, { nc: '00000002' }), 'Authorization')).ok);
    const replay = await auth.authenticate(answer(base, ch, { nc: '00000002', cnonce: 'other' }), 'Authorization');
    check(!replay.ok);
    assert.equal(replay.code, 'replay');
    check((await auth.authenticate(answer(base, ch, { nc: '00000003' }), 'Authorization')).ok);
    check((await auth.authenticate(answer(base, ch, { nc: '0000000A' }), 'Authorization')).ok);
  });

  test('two clients given nonces in the same millisecond do not collide', async () => {
    const { auth } = setup();
    const a = await challenged(auth);
    const b = await challenged(auth);
    assert.notEqual(getHeader(a, 'WWW-Authenticate'), getHeader(b, 'WWW-Authenticate'));
    check((await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), a), 'Authorization')).ok);
    check((await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), b), 'Authorization')).ok);
  });

  test('a nonce from another node with the same secret is accepted', async () => {
    const one = setup();
    const two = setup();
    const ch = await challenged(one.auth);
    check((await two.auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), ch), 'Authorization')).ok);
  });

  test('a nonce stamped in the future beyond the skew is stale', async () => {
    const { auth } = setup();
    const future = issueNonce(Buffer.from(SECRET), REALM, CAPTURED_AT + 120_000);
    const fake = setHeader(
      { kind: 'response', status: 401, reason: 'Unauthorized', headers: [], body: Buffer.alloc(0) } as SipResponse,
      'WWW-Authenticate',
      `Digest realm="${REALM}", nonce="${future}", algorithm=SHA-256, qop="auth"`,
    );
    const r = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), fake), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'stale-nonce');
  });

  test('a forged nonce with a wrong digest → plain 401', async () => {
    const { auth } = setup();
    const fake = setHeader(
      { kind: 'response', status: 401, reason: 'Unauthorized', headers: [], body: Buffer.alloc(0) } as SipResponse,
      'WWW-Authenticate',
      `Digest realm="${REALM}", nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", algorithm=SHA-256, qop="auth"`,
    );
    const r = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), fake, { password: 'guess' }), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'bad-response');
  });

  test('RFC 2069 answer (no qop) is accepted once; its nonce is then spent', async () => {
    const { auth } = setup();
    const ch = await challenged(auth);
    const legacy = answer(req(BARESIP_REGISTER_PLAIN), ch, { qop: false });
    check((await auth.authenticate(legacy, 'Authorization')).ok);
    const again = await auth.authenticate(legacy, 'Authorization');
    check(!again.ok);
    assert.equal(again.code, 'replay');
  });

  test('allowNoQop: false refuses the RFC 2069 form', async () => {
    const { auth } = setup({ allowNoQop: false });
    const ch = await challenged(auth);
    const r = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), ch, { qop: false }), 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'unsupported-qop');
  });

  test('the method is part of the digest: REGISTER credentials do not authorise an INVITE', async () => {
    const { auth } = setup();
    const ch = await challenged(auth);
    const reg = answer(req(BARESIP_REGISTER_PLAIN), ch);
    const asInvite: SipRequest = { ...reg, method: 'INVITE' };
    const r = await auth.authenticate(asInvite, 'Authorization');
    check(!r.ok);
    assert.equal(r.code, 'bad-response');
  });

  test('malformed credentials → 400', async () => {
    const { auth } = setup();
    for (const bad of [
      'Digest username="1001", realm="surgeline.test", nonce="x", uri="sip:a", response="r", qop=auth',
      'Digest username="1001", realm="surgeline.test", nonce="x", uri="sip:a", response="r", qop=auth, nc=1, cnonce="c"',
      'Digest username="1001", realm="surgeline.test", nonce="x", uri="sip:a", response="r", qop=auth, nc=00000000, cnonce="c"',
      'Digest username="1001", realm="surgeline.test", nonce="x", uri="sip:a"',
      'Digest username="1001, realm="surgeline.test"',
      'Digest realm="surgeline.test", realm="surgeline.test"',
    ]) {
      const r = await auth.authenticate(setHeader(req(BARESIP_REGISTER_PLAIN), 'Authorization', bad), 'Authorization');
      check(!r.ok, bad);
      assert.equal(r.response.status, 400, bad);
    }
  });

  test('credentials for several realms: ours is found among them', async () => {
    const { auth } = setup();
    const ch = await challenged(auth);
    const mine = getHeader(answer(req(BARESIP_REGISTER_PLAIN), ch), 'Authorization')!;
    const foreign = formatCredentials({ username: 'x', realm: 'carrier.example', nonce: 'n', uri: 'sip:x', response: '0' });
    const two = setHeader(req(BARESIP_REGISTER_PLAIN), 'Authorization', [foreign, mine]);
    check((await auth.authenticate(two, 'Authorization')).ok);
  });
});

describe('DigestAuthenticator: brute-force brake', () => {
  const from = { transport: 'udp' as const, host: '203.0.113.9', port: 5060 };
  const elsewhere = { transport: 'udp' as const, host: '198.51.100.7', port: 5060 };

  test('after maxFailures from one source, 403 even for the right password, until the window passes', async () => {
    const { auth, clock } = setup({ maxFailures: 3, failureWindowMs: 60_000 });
    const get = async () => {
      const r = await auth.authenticate(req(BARESIP_REGISTER_PLAIN), 'Authorization', from);
      check(!r.ok);
      return r.response;
    };
    for (let i = 0; i < 3; i++) {
      const r = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await get(), { password: `guess${i}` }), 'Authorization', from);
      check(!r.ok);
      assert.equal(r.response.status, 401);
    }
    const locked = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await get()), 'Authorization', from);
    check(!locked.ok);
    assert.equal(locked.code, 'locked');
    assert.equal(locked.response.status, 403);
    // The agent's own phone, elsewhere, is not locked out by a scanner.
    check((await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await get()), 'Authorization', elsewhere)).ok);
    clock.advance(60_001);
    check((await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await get()), 'Authorization', from)).ok);
  });

  test('a success resets the count; maxFailures 0 disables the brake', async () => {
    const { auth } = setup({ maxFailures: 2 });
    const ch = async () => {
      const r = await auth.authenticate(req(BARESIP_REGISTER_PLAIN), 'Authorization', from);
      check(!r.ok);
      return r.response;
    };
    check(!(await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await ch(), { password: 'x' }), 'Authorization', from)).ok);
    check((await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await ch()), 'Authorization', from)).ok);
    check(!(await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await ch(), { password: 'x' }), 'Authorization', from)).ok);
    const r = await auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), await ch()), 'Authorization', from);
    check(r.ok, 'one failure after a success is not two');

    const off = setup({ maxFailures: 0 });
    for (let i = 0; i < 20; i++) {
      const c = await off.auth.authenticate(req(BARESIP_REGISTER_PLAIN), 'Authorization', from);
      check(!c.ok);
      const r2 = await off.auth.authenticate(answer(req(BARESIP_REGISTER_PLAIN), c.response, { password: 'x' }), 'Authorization', from);
      check(!r2.ok);
      assert.equal(r2.response.status, 401);
    }
  });
});

describe('DigestAuthenticator: bounded nonce-count memory', () => {
  test('a nonce forgotten to make room is refused (stale), never replayable', async () => {
    const { auth } = setup({ maxTrackedNonces: 2 });
    const chs: SipResponse[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await auth.authenticate(req(BARESIP_REGISTER_PLAIN), 'Authorization');
      check(!r.ok);
      chs.push(r.response);
    }
    const base = req(BARESIP_REGISTER_PLAIN);
    for (const ch of chs) check((await auth.authenticate(answer(base, ch), 'Authorization')).ok);
    // The first nonce was evicted when the third arrived: replaying nc=1 on it must fail,
    // and so must a fresh nc on it (the tracker cannot prove it unused).
    const replay = await auth.authenticate(answer(base, chs[0]!), 'Authorization');
    check(!replay.ok);
    assert.equal(replay.code, 'replay');
    const next = await auth.authenticate(answer(base, chs[0]!, { nc: '00000002' }), 'Authorization');
    check(!next.ok);
    // Nonces still tracked carry on.
    check((await auth.authenticate(answer(base, chs[2]!, { nc: '00000002' }), 'Authorization')).ok);
  });
});
