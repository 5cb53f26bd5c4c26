/**
 * The digest client answering from stored HA1s (RFC 7616 §3.4.2) instead of a password —
 * what the outbound trunk keeps — checked against our own digest server: MD5 and SHA-256
 * HA1s, realm matching, a wrong HA1 refused, and a real INVITE over loopback UDP answered
 * 407 → retried with Proxy-Authorization computed from the HA1 and let through.
 * SIP ports 36000-36009.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, realClock } from '../../src/clock.ts';
import { parseMessage } from '../../src/sip/parser.ts';
import { getHeader } from '../../src/sip/headers.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';
import { authorizeRequest, preauthorizeRequest, DigestClientState, type ClientCredentials } from '../../src/sip/auth/client.ts';
import { DigestAuthenticator, hashCredentials } from '../../src/sip/auth/server.ts';
import { parseCredentials } from '../../src/sip/auth/challenge.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { InviteFailedError } from '../../src/sip/ua/outbound-invite.ts';

const REALM = 'trunk.example';
const USER = 'egou';
const PASSWORD = 'S3cret-trunk';
const STORED = hashCredentials(USER, REALM, PASSWORD);

const REGISTER =
  'REGISTER sip:trunk.example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKha1test1\r\nMax-Forwards: 70\r\nTo: <sip:egou@trunk.example>\r\nFrom: <sip:egou@trunk.example>;tag=a1\r\nCall-ID: ha1-test@127.0.0.1\r\nCSeq: 1 REGISTER\r\nContact: <sip:egou@127.0.0.1:5060>\r\nContent-Length: 0\r\n\r\n';

function request(): SipRequest {
  const m = parseMessage(Buffer.from(REGISTER, 'utf8'));
  assert.equal(m.kind, 'request', 'the fixture parses as a request');
  return m as SipRequest;
}

function server(algorithms: ('MD5' | 'SHA-256')[], realm = REALM): DigestAuthenticator {
  return new DigestAuthenticator({
    realm,
    secret: 'a-secret-of-at-least-16-bytes',
    clock: new ManualClock(),
    algorithms,
    lookup: async (user, r) => (user === USER && r === REALM ? STORED : undefined),
  });
}

async function roundTrip(algorithms: ('MD5' | 'SHA-256')[], creds: ClientCredentials, state = new DigestClientState()) {
  const srv = server(algorithms);
  const first = await srv.authenticate(request(), 'Authorization');
  assert.ok(!first.ok, 'the first REGISTER carries no credentials');
  const challenge: SipResponse = first.response;
  const retry = authorizeRequest(request(), challenge, creds, state);
  return { srv, retry, challenge };
}

describe('digest client from HA1 (RFC 7616 §3.4.2)', () => {
  test('an MD5 HA1 answers our MD5 challenge and our server accepts it', async () => {
    const { srv, retry } = await roundTrip(['MD5'], { username: USER, realm: REALM, ha1: STORED.ha1Md5 });
    if (!retry.ok) assert.fail(`the client gave up: ${retry.reason}`);
    const auth = await srv.authenticate(retry.request, 'Authorization');
    assert.ok(auth.ok, 'the server accepts credentials computed from the HA1');
    assert.equal(auth.ok && auth.username, USER, 'authenticated as the trunk user');
  });

  test('the HA1 gives the same response the password would (same cnonce)', async () => {
    const fixed = () => 'c0ffee';
    const a = await roundTrip(['MD5'], { username: USER, realm: REALM, ha1: STORED.ha1Md5 }, new DigestClientState(fixed));
    if (!a.retry.ok) assert.fail(a.retry.reason);
    const fromPassword = authorizeRequest(request(), a.challenge, { username: USER, password: PASSWORD }, new DigestClientState(fixed));
    if (!fromPassword.ok) assert.fail(fromPassword.reason);
    assert.equal(
      parseCredentials(getHeader(a.retry.request, 'Authorization') ?? '').response,
      parseCredentials(getHeader(fromPassword.request, 'Authorization') ?? '').response,
      'HA1 stands in for the password',
    );
  });

  test('with only the MD5 HA1, a server offering SHA-256 first is answered with MD5', async () => {
    const { srv, retry } = await roundTrip(['SHA-256', 'MD5'], { username: USER, realm: REALM, ha1: STORED.ha1Md5 });
    if (!retry.ok) assert.fail(retry.reason);
    assert.equal(parseCredentials(getHeader(retry.request, 'Authorization') ?? '').algorithm, 'MD5', 'the algorithm whose HA1 we hold');
    assert.ok((await srv.authenticate(retry.request, 'Authorization')).ok, 'accepted');
  });

  test('with the SHA-256 HA1 too, SHA-256 is chosen and accepted', async () => {
    const { srv, retry } = await roundTrip(['SHA-256', 'MD5'], { username: USER, realm: REALM, ha1: STORED.ha1Md5, ha1Sha256: STORED.ha1Sha256 });
    if (!retry.ok) assert.fail(retry.reason);
    assert.equal(parseCredentials(getHeader(retry.request, 'Authorization') ?? '').algorithm, 'SHA-256', 'the stronger algorithm');
    assert.ok((await srv.authenticate(retry.request, 'Authorization')).ok, 'accepted');
  });

  test('a server offering only SHA-256 cannot be answered from an MD5 HA1', async () => {
    const { retry } = await roundTrip(['SHA-256'], { username: USER, realm: REALM, ha1: STORED.ha1Md5 });
    assert.ok(!retry.ok, 'no usable challenge');
  });

  test('a challenge for another realm is not answered (the realm is inside the HA1)', async () => {
    const srv = server(['MD5'], 'elsewhere.example');
    const first = await srv.authenticate(request(), 'Authorization');
    assert.ok(!first.ok, 'challenged');
    const retry = authorizeRequest(request(), first.response, { username: USER, realm: REALM, ha1: STORED.ha1Md5 }, new DigestClientState());
    assert.ok(!retry.ok, 'refused to answer another realm');
    assert.match(retry.ok ? '' : retry.reason, /realm "trunk\.example"/, 'says which realm it can answer');
  });

  test('a wrong HA1 is refused by the server, and the client does not retry a rejected answer', async () => {
    const wrong = hashCredentials(USER, REALM, 'not-the-password').ha1Md5;
    const state = new DigestClientState();
    const { srv, retry } = await roundTrip(['MD5'], { username: USER, realm: REALM, ha1: wrong }, state);
    if (!retry.ok) assert.fail(retry.reason);
    const auth = await srv.authenticate(retry.request, 'Authorization');
    assert.ok(!auth.ok, 'the server refuses');
    const again = authorizeRequest(retry.request, auth.ok ? (undefined as never) : auth.response, { username: USER, realm: REALM, ha1: wrong }, state);
    assert.ok(!again.ok, 'gives up instead of looping');
  });

  test('preauthorize reuses the nonce with the HA1 (nc 2) and the server accepts it', async () => {
    const creds: ClientCredentials = { username: USER, realm: REALM, ha1: STORED.ha1Md5.toUpperCase() };
    const state = new DigestClientState();
    const { srv, retry } = await roundTrip(['MD5'], creds, state);
    if (!retry.ok) assert.fail(retry.reason);
    assert.ok((await srv.authenticate(retry.request, 'Authorization')).ok, 'first accepted (an upper-case HA1 is fine)');
    const next = preauthorizeRequest(request(), creds, state);
    const c = parseCredentials(getHeader(next, 'Authorization') ?? '');
    assert.equal(c.nc, '00000002', 'nonce count moves on');
    assert.ok((await srv.authenticate(next, 'Authorization')).ok, 'preauthorized request accepted');
  });
});

describe('an outbound INVITE through a trunk that demands 407, answered from the HA1 (real UDP)', () => {
  test('the call is accepted after one 407; a wrong HA1 ends with the 407', async () => {
    const clock = realClock();
    const auth = new DigestAuthenticator({
      realm: REALM,
      secret: 'another-secret-16-bytes-long',
      clock,
      algorithms: ['MD5'],
      lookup: async (user, r) => (user === USER && r === REALM ? STORED : undefined),
    });
    const seen: string[] = [];
    const trunk = await UserAgent.start({
      listen: { host: '127.0.0.1', port: 36000 },
      clock,
      screenInvite: async (req) => {
        const r = await auth.authenticate(req, 'Proxy-Authorization');
        seen.push(r.ok ? 'ok' : r.code);
        return r.ok ? undefined : r.response;
      },
    });
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 36990 RTP/AVP 0\r\n';
    trunk.onInvite((invite) => void invite.accept(Buffer.from(sdp)));
    const us = await UserAgent.start({ listen: { host: '127.0.0.1', port: 36001 }, clock });
    try {
      const session = await us.invite({
        uri: 'sip:0912000111@127.0.0.1:36000',
        from: 'sip:4008001111@127.0.0.1',
        sdp: Buffer.from(sdp),
        credentials: { username: USER, realm: REALM, ha1: STORED.ha1Md5 },
      });
      assert.deepEqual(seen, ['no-credentials', 'ok'], 'challenged once, then accepted');
      await session.bye();

      seen.length = 0;
      await assert.rejects(
        us.invite({
          uri: 'sip:0912000111@127.0.0.1:36000',
          from: 'sip:4008001111@127.0.0.1',
          sdp: Buffer.from(sdp),
          credentials: { username: USER, realm: REALM, ha1: hashCredentials(USER, REALM, 'wrong').ha1Md5 },
        }),
        (err: unknown) => err instanceof InviteFailedError && err.status === 407,
        'a wrong HA1 fails with the 407',
      );
      assert.deepEqual(seen, ['no-credentials', 'bad-response'], 'one answer, refused, no loop');
    } finally {
      await us.close();
      await trunk.close();
    }
  });
});
