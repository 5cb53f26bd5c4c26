import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  computeHa1,
  computeHa2,
  computeResponse,
  digestEquals,
  hashCredentials,
  parseAlgorithm,
  sessionHa1,
} from '../../src/sip/auth/digest.ts';
import {
  DigestParseError,
  formatChallenge,
  formatCredentials,
  parseChallenge,
  parseCredentials,
  parseDigest,
} from '../../src/sip/auth/challenge.ts';

/**
 * assert.ok without a message makes Node regenerate the failing expression from source,
 * which under tsx reads the wrong line and can spin for minutes: always pass a message.
 */
function check(value: unknown, message = 'expected a truthy value'): asserts value {
  assert.ok(value, message);
}


// RFC 2617 §3.5, verbatim header values (line folding collapsed, as the SIP parser delivers them).
const RFC2617_CHALLENGE =
  'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
const RFC2617_AUTHORIZATION =
  'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

// RFC 7616 §3.9.1.
const RFC7616_CHALLENGE_SHA256 =
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
const RFC7616_AUTHORIZATION_SHA256 =
  'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
const RFC7616_AUTHORIZATION_MD5 =
  'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';

/** Recompute the response of parsed credentials from a password, the way a server would. */
function recompute(authorization: string, method: string, password: string): string {
  const c = parseCredentials(authorization);
  const algorithm = parseAlgorithm(c.algorithm);
  check(algorithm);
  return computeResponse({
    algorithm,
    ha1: computeHa1(algorithm, c.username, c.realm, password),
    nonce: c.nonce,
    method,
    uri: c.uri,
    qop: c.qop === 'auth' || c.qop === 'auth-int' ? c.qop : undefined,
    ...(c.nc !== undefined ? { nc: c.nc } : {}),
    ...(c.cnonce !== undefined ? { cnonce: c.cnonce } : {}),
  });
}

describe('digest math: RFC test vectors', () => {
  test('RFC 2617 §3.5: MD5, qop=auth (Mufasa / Circle Of Life)', () => {
    assert.equal(recompute(RFC2617_AUTHORIZATION, 'GET', 'Circle Of Life'), '6629fae49393a05397450978507c4ef1');
    assert.notEqual(recompute(RFC2617_AUTHORIZATION, 'GET', 'Circle of Life'), '6629fae49393a05397450978507c4ef1');
    assert.notEqual(recompute(RFC2617_AUTHORIZATION, 'POST', 'Circle Of Life'), '6629fae49393a05397450978507c4ef1');
  });

  test('RFC 7616 §3.9.1: SHA-256 and MD5 for the same request', () => {
    assert.equal(
      recompute(RFC7616_AUTHORIZATION_SHA256, 'GET', 'Circle of Life'),
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
    assert.equal(recompute(RFC7616_AUTHORIZATION_MD5, 'GET', 'Circle of Life'), '8ca523f5e9506fed4657c9700eebdbec');
  });

  test('the response in the credentials is what the math yields', () => {
    for (const [auth, pw] of [
      [RFC2617_AUTHORIZATION, 'Circle Of Life'],
      [RFC7616_AUTHORIZATION_SHA256, 'Circle of Life'],
      [RFC7616_AUTHORIZATION_MD5, 'Circle of Life'],
    ] as const) {
      assert.equal(recompute(auth, 'GET', pw), parseCredentials(auth).response);
    }
  });

  test('RFC 2069 form (no qop): H(HA1:nonce:HA2)', () => {
    // RFC 2069 §2.4's example response for the same user, nonce and URI.
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'CircleOfLife');
    const r = computeResponse({
      algorithm: 'MD5',
      ha1,
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
    });
    assert.equal(r, '1949323746fe6a43ef61f9606e7febea');
  });

  test('-sess variants derive HA1 from nonce and cnonce, and need a cnonce', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    assert.equal(sessionHa1('MD5', ha1, 'n', 'c'), ha1);
    const sess = sessionHa1('MD5-sess', ha1, 'n', 'c');
    assert.notEqual(sess, ha1);
    assert.equal(sess.length, 32);
    assert.equal(sessionHa1('SHA-256-sess', computeHa1('SHA-256', 'u', 'r', 'p'), 'n', 'c').length, 64);
    assert.throws(() => sessionHa1('SHA-256-sess', ha1, 'n', undefined), RangeError);
    const base = { ha1, nonce: 'n', method: 'REGISTER', uri: 'sip:x', qop: 'auth' as const, nc: '00000001', cnonce: 'c' };
    assert.notEqual(computeResponse({ ...base, algorithm: 'MD5' }), computeResponse({ ...base, algorithm: 'MD5-sess' }));
  });

  test('qop=auth-int hashes the body into HA2', () => {
    const a = computeHa2('MD5', 'INVITE', 'sip:a@b', 'auth-int', Buffer.from('v=0\r\n'));
    const b = computeHa2('MD5', 'INVITE', 'sip:a@b', 'auth-int', Buffer.from('v=1\r\n'));
    assert.notEqual(a, b);
    assert.notEqual(a, computeHa2('MD5', 'INVITE', 'sip:a@b', 'auth'));
  });

  test('qop without nc/cnonce is a programming error', () => {
    assert.throws(
      () => computeResponse({ algorithm: 'MD5', ha1: 'x', nonce: 'n', method: 'GET', uri: '/', qop: 'auth' }),
      RangeError,
    );
  });

  test('hashCredentials stores both HA1s, never the password', () => {
    const h = hashCredentials('Mufasa', 'http-auth@example.org', 'Circle of Life');
    assert.equal(h.ha1Md5, computeHa1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life'));
    assert.equal(h.ha1Md5.length, 32);
    assert.equal(h.ha1Sha256.length, 64);
    check(!JSON.stringify(h).includes('Circle'));
  });

  test('parseAlgorithm is case-insensitive, defaults to MD5, rejects unknown', () => {
    assert.equal(parseAlgorithm(undefined), 'MD5');
    assert.equal(parseAlgorithm('md5'), 'MD5');
    assert.equal(parseAlgorithm('sha-256'), 'SHA-256');
    assert.equal(parseAlgorithm('SHA-256-SESS'), 'SHA-256-sess');
    assert.equal(parseAlgorithm('MD5-sess'), 'MD5-sess');
    assert.equal(parseAlgorithm('SHA-512-256'), undefined);
    assert.equal(parseAlgorithm('AKAv1-MD5'), undefined);
  });

  test('digestEquals: equal, case-insensitive, different lengths', () => {
    check(digestEquals('6629fae49393a05397450978507c4ef1', '6629FAE49393A05397450978507C4EF1'));
    check(!digestEquals('6629fae49393a05397450978507c4ef1', '6629fae49393a05397450978507c4ef2'));
    check(!digestEquals('6629fae49393a05397450978507c4ef1', '6629fae4'));
  });
});

describe('challenge / credentials parsing', () => {
  test('RFC 2617 challenge', () => {
    const c = parseChallenge(RFC2617_CHALLENGE);
    assert.deepEqual(c, {
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      qop: ['auth', 'auth-int'],
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
    });
  });

  test('RFC 7616 challenge: "auth, auth-int" with a space, algorithm token', () => {
    const c = parseChallenge(RFC7616_CHALLENGE_SHA256);
    assert.deepEqual(c.qop, ['auth', 'auth-int']);
    assert.equal(c.algorithm, 'SHA-256');
  });

  test('RFC 2617 credentials: unquoted qop and nc', () => {
    const c = parseCredentials(RFC2617_AUTHORIZATION);
    assert.equal(c.username, 'Mufasa');
    assert.equal(c.qop, 'auth');
    assert.equal(c.nc, '00000001');
    assert.equal(c.cnonce, '0a4f113b');
    assert.equal(c.uri, '/dir/index.html');
  });

  test('as baresip sends them (uri is a SIP URI with ";" and ":")', () => {
    const v =
      'Digest username="1001",realm="surgeline",nonce="AAABmXx0AAC2fQ==",uri="sip:127.0.0.1:5060;transport=udp",response="0c3f5a6ecab1c1d0c8d0c4b7e6e9f1a2",algorithm=MD5,cnonce="5b2fd79c",qop=auth,nc=00000001';
    const c = parseCredentials(v);
    assert.equal(c.uri, 'sip:127.0.0.1:5060;transport=udp');
    assert.equal(c.nonce, 'AAABmXx0AAC2fQ==');
    assert.equal(c.algorithm, 'MD5');
  });

  test('quoted qop (old clients) and upper-case names are accepted', () => {
    const p = parseDigest('DIGEST USERNAME="a", QOP="auth", NC=00000002');
    assert.equal(p.scheme, 'DIGEST');
    assert.equal(p.params.get('username'), 'a');
    assert.equal(p.params.get('qop'), 'auth');
    assert.equal(p.params.get('nc'), '00000002');
  });

  test('escapes, commas and "=" inside quotes; whitespace around = and ,', () => {
    const p = parseDigest('Digest  realm = "a, b=c \\"q\\" \\\\ d" ,nonce="x"  , , stale=TRUE');
    assert.equal(p.params.get('realm'), 'a, b=c "q" \\ d');
    assert.equal(p.params.get('nonce'), 'x');
    assert.equal(p.params.get('stale'), 'TRUE');
    assert.equal(parseChallenge('Digest realm="r", nonce="n", stale=TRUE').stale, true);
    assert.equal(parseChallenge('Digest realm="r", nonce="n", stale=false').stale, false);
  });

  test('unquoted base64 nonce with "=" padding', () => {
    assert.equal(parseDigest('Digest nonce=YWJj+/==, realm=x').params.get('nonce'), 'YWJj+/==');
  });

  test('UTF-8 in quoted strings', () => {
    assert.equal(parseDigest('Digest username="Jäsøn Doe"').params.get('username'), 'Jäsøn Doe');
  });

  for (const bad of [
    '',
    '   ',
    '"Digest" realm="x"',
    'Digest,realm="x"',
    'Digest realm',
    'Digest realm=',
    'Digest realm="x',
    'Digest realm="x\\',
    'Digest realm="x" nonce="y"',
    'Digest realm="x", realm="y"',
    'Digest realm="x"y',
    'Digest =x',
    'Digest realm=a"b',
    'Digest realm="a\r\nb"',
    'Digest realm="x", Basic realm="y"',
  ]) {
    test(`malformed: ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseDigest(bad), DigestParseError);
    });
  }

  test('typed parsers require their mandatory parameters and scheme', () => {
    assert.throws(() => parseChallenge('Digest nonce="n"'), DigestParseError);
    assert.throws(() => parseChallenge('Basic realm="r", nonce="n"'), DigestParseError);
    assert.throws(() => parseChallenge('Digest realm="r", nonce="n", stale=maybe'), DigestParseError);
    assert.throws(
      () => parseCredentials('Digest username="u", realm="r", nonce="n", uri="sip:x"'),
      /missing "response"/,
    );
  });

  test('formatChallenge / formatCredentials produce the RFC 3261 quoting', () => {
    assert.equal(
      formatChallenge({ realm: 'atlanta.com', nonce: 'ea9c8e88df84f1cec4341ae6cbe5a359', algorithm: 'SHA-256', qop: ['auth'], stale: true }),
      'Digest realm="atlanta.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", stale=true, algorithm=SHA-256, qop="auth"',
    );
    assert.equal(
      formatCredentials({
        username: 'bob',
        realm: 'biloxi.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        uri: 'sip:bob@biloxi.com',
        response: '245f23415f11432b3434341c022',
        algorithm: 'MD5',
        cnonce: '0a4f113b',
        qop: 'auth',
        nc: '00000001',
        opaque: '',
      }),
      'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", response="245f23415f11432b3434341c022", algorithm=MD5, cnonce="0a4f113b", opaque="", qop=auth, nc=00000001',
    );
    assert.throws(() => formatChallenge({ realm: 'a\r\nb', nonce: 'n' }), RangeError);
    assert.throws(() => formatChallenge({ realm: 'r', nonce: 'n', algorithm: 'SHA 256' }), RangeError);
    assert.throws(() => formatCredentials({ username: 'u', realm: 'r', nonce: 'n', uri: 'u', response: 'r', nc: '1' }), RangeError);
  });

  test('RFC values survive parse → format → parse', () => {
    for (const v of [RFC2617_CHALLENGE, RFC7616_CHALLENGE_SHA256]) {
      const c = parseChallenge(v);
      assert.deepEqual(parseChallenge(formatChallenge(c)), { ...c });
    }
    for (const v of [RFC2617_AUTHORIZATION, RFC7616_AUTHORIZATION_SHA256]) {
      const c = parseCredentials(v);
      assert.deepEqual(parseCredentials(formatCredentials(c)), { ...c });
    }
  });
});

describe('challenge parsing: properties', () => {
  test('parseDigest throws nothing but DigestParseError on any input', () => {
    const alphabet = fc.constantFrom(...'Digest realm="\\, =\t\r\nnonce\'qop~!é"'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 60 }), fc.string({ unit: 'binary' })), (s) => {
        try {
          parseDigest(s);
        } catch (e) {
          if (!(e instanceof DigestParseError)) throw e;
        }
        try {
          parseChallenge(s);
          parseCredentials(s);
        } catch (e) {
          if (!(e instanceof DigestParseError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  // Any text without CR/LF/NUL survives quoting; tokens survive as tokens.
  const qtext = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/[\r\n\0]/.test(s));
  const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);

  test('formatChallenge ∘ parseChallenge is the identity', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            realm: qtext,
            nonce: qtext,
            algorithm: token,
            qop: fc.array(token, { minLength: 1, maxLength: 3 }),
            opaque: qtext,
            stale: fc.boolean(),
            domain: qtext,
            userhash: fc.boolean(),
          },
          { requiredKeys: ['realm', 'nonce'] },
        ),
        (c) => {
          assert.deepEqual(parseChallenge(formatChallenge(c)), { ...c });
        },
      ),
      { numRuns: 500 },
    );
  });

  test('formatCredentials ∘ parseCredentials is the identity', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            username: qtext,
            realm: qtext,
            nonce: qtext,
            uri: qtext,
            response: qtext,
            algorithm: token,
            cnonce: qtext,
            opaque: qtext,
            qop: token,
            nc: fc.stringMatching(/^[0-9a-f]{8}$/),
            userhash: fc.boolean(),
          },
          { requiredKeys: ['username', 'realm', 'nonce', 'uri', 'response'] },
        ),
        (c) => {
          assert.deepEqual(parseCredentials(formatCredentials(c)), { ...c });
        },
      ),
      { numRuns: 500 },
    );
  });
});
