import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatUri, isAbsoluteUri, parseUri, unescapeUriPart, uriEquals } from '../../src/sip/uri.ts';
import { SipParseError } from '../../src/sip/parser.ts';
import type { SipUri, TelUri, Uri } from '../../src/sip/message.ts';

function sip(text: string): SipUri {
  const u = parseUri(text);
  assert.notEqual(u.scheme, 'tel', text);
  return u as SipUri;
}

function tel(text: string): TelUri {
  const u = parseUri(text);
  assert.equal(u.scheme, 'tel', text);
  return u as TelUri;
}

const entries = (m: ReadonlyMap<string, string | null>): [string, string | null][] => [...m];

describe('parseUri: RFC 3261 §19.1.3 examples', () => {
  test('sip:alice@atlanta.com', () => {
    const u = sip('sip:alice@atlanta.com');
    assert.deepEqual(
      { scheme: u.scheme, user: u.user, password: u.password, host: u.host, port: u.port },
      { scheme: 'sip', user: 'alice', password: undefined, host: 'atlanta.com', port: undefined },
    );
    assert.equal(u.params.size, 0);
    assert.equal(u.headers.size, 0);
  });

  test('password, transport parameter', () => {
    const u = sip('sip:alice:secretword@atlanta.com;transport=tcp');
    assert.equal(u.password, 'secretword');
    assert.deepEqual(entries(u.params), [['transport', 'tcp']]);
  });

  test('sips with escaped headers', () => {
    const u = sip('sips:alice@atlanta.com?subject=project%20x&priority=urgent');
    assert.equal(u.scheme, 'sips');
    assert.deepEqual(entries(u.headers), [['subject', 'project x'], ['priority', 'urgent']]);
  });

  test('telephone-subscriber user with a colon-less password and user=phone', () => {
    const u = sip('sip:+1-212-555-1212:1234@gateway.com;user=phone');
    assert.equal(u.user, '+1-212-555-1212');
    assert.equal(u.password, '1234');
    assert.equal(u.params.get('user'), 'phone');
  });

  test('IPv4 host, no user; method param and escaped header', () => {
    assert.equal(sip('sip:alice@192.0.2.4').host, '192.0.2.4');
    const u = sip('sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com');
    assert.equal(u.user, undefined);
    assert.equal(u.params.get('method'), 'REGISTER');
    assert.equal(u.headers.get('to'), 'alice@atlanta.com');
  });

  test('semicolon inside the user part', () => {
    const u = sip('sip:alice;day=tuesday@atlanta.com');
    assert.equal(u.user, 'alice;day=tuesday');
    assert.equal(u.params.size, 0);
  });

  test('scheme and host are case-insensitive and stored lower-case; the user keeps its case', () => {
    const u = sip('SIP:ALICE@AtLanTa.CoM:5061;Transport=TCP');
    assert.equal(u.scheme, 'sip');
    assert.equal(u.user, 'ALICE');
    assert.equal(u.host, 'atlanta.com');
    assert.equal(u.port, 5061);
    assert.equal(u.params.get('transport'), 'TCP');
  });

  test('escapes are decoded exactly once (RFC 4475 §3.1.1.3)', () => {
    const u = sip('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
    assert.equal(u.user, 'caller');
    assert.deepEqual(entries(u.params), [['lr', null], ['name', 'value%41']]);
    assert.equal(unescapeUriPart('%E9t%C3%A9'), '\u00e9té'); // non-UTF-8 octet kept as Latin-1
  });

  test('malformed SIP URIs throw SipParseError with status 400', () => {
    for (const bad of [
      'sip:', 'sip:@host', 'sip:user@', 'sip:host:99999', 'sip:host:', 'sip:user@[::1', 'sip:user@[zz::1]', 'sip:host;',
      'sip:host;=x', 'sip:user@host?x', 'sip:a b@host', 'sip:host name', 'sip:user@host>', 'sip:%ZZ@host',
      'sip:u@1.2.3', 'sip:u@999.1.1.1', '<sip:a@b>', 'sip', ':x',
    ]) {
      assert.throws(
        () => parseUri(bad),
        (e: unknown) => e instanceof SipParseError && e.status === 400,
        bad,
      );
    }
  });

  test('other well-formed schemes throw with status 416 (RFC 3261 §8.2.2.1)', () => {
    for (const other of ['http://www.example.com', 'isbn:2983792873', 'soap.beep://192.0.2.103:3002', 'urn:service:sos']) {
      assert.ok(isAbsoluteUri(other), other);
      assert.throws(
        () => parseUri(other),
        (e: unknown) => e instanceof SipParseError && e.status === 416,
        other,
      );
    }
    assert.ok(!isAbsoluteUri('<sip:a@b>'));
    assert.ok(!isAbsoluteUri('nocolon'));
  });
});

describe('parseUri: tel (RFC 3966)', () => {
  test('global number with visual separators', () => {
    const u = tel('tel:+1-201-555-0123');
    assert.equal(u.number, '+1-201-555-0123');
    assert.equal(u.params.size, 0);
  });

  test('local numbers need phone-context', () => {
    assert.deepEqual(entries(tel('tel:7042;phone-context=example.com').params), [['phone-context', 'example.com']]);
    assert.equal(tel('tel:863-1234;phone-context=+1-914-555').number, '863-1234');
    assert.throws(() => parseUri('tel:7042'), SipParseError);
  });

  test('parameters: ext, isub, unknown flags', () => {
    const u = tel('tel:+1-201-555-0123;EXT=1234;isub=abc;foo');
    assert.deepEqual(entries(u.params), [['ext', '1234'], ['isub', 'abc'], ['foo', null]]);
  });

  test('malformed tel URIs', () => {
    for (const bad of ['tel:', 'tel:+', 'tel:+1 555', 'tel:+1;=a', 'tel:+1;ext=', 'tel:abc;phone-context=x.com;', 'tel:+1x']) {
      assert.throws(() => parseUri(bad), SipParseError, bad);
    }
  });
});

describe('formatUri', () => {
  test('canonical URIs format back to themselves', () => {
    for (const text of [
      'sip:alice@atlanta.com',
      'sips:alice:secretword@atlanta.com:5061;transport=tcp;lr',
      'sip:[2001:db8::10]:5070;maddr=[2001:db8::1]',
      'sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com&subject=a%20b',
      'sip:alice;day=tuesday@atlanta.com',
      'tel:+1-201-555-0123;ext=1234',
    ]) {
      assert.equal(formatUri(parseUri(text)), text);
    }
  });

  test('escapes what the grammar does not allow raw', () => {
    const u: SipUri = {
      scheme: 'sip',
      user: 'I have spaces@100%',
      host: 'example.net',
      params: new Map([['name', 'value%41']]),
      headers: new Map([['Subject', 'a&b=c']]),
    };
    assert.equal(formatUri(u), 'sip:I%20have%20spaces%40100%25@example.net;name=value%2541?Subject=a%26b%3Dc');
    assert.ok(uriEquals(parseUri(formatUri(u)), u));
  });

  test('non-ASCII user parts are UTF-8 escaped', () => {
    const u: SipUri = { scheme: 'sip', user: 'josé', host: 'example.com', params: new Map(), headers: new Map() };
    assert.equal(formatUri(u), 'sip:jos%C3%A9@example.com');
    assert.equal(sip(formatUri(u)).user, 'josé');
  });
});

describe('uriEquals: RFC 3261 §19.1.4', () => {
  const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));

  test('equivalent pairs from §19.1.4', () => {
    assert.ok(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'));
    assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'));
    assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'));
    assert.ok(eq('sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'));
    assert.ok(
      eq('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'),
    );
    assert.ok(
      eq('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'),
    );
  });

  test('non-equivalent pairs from §19.1.4', () => {
    assert.ok(!eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'));
    assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'));
    assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'));
    assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'));
    assert.ok(!eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'));
    assert.ok(!eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'));
  });

  test('equality is not transitive (§19.1.4)', () => {
    assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'));
    assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=off'));
    assert.ok(!eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'));
  });

  test('sip and sips never match; maddr, ttl, user, method must all agree', () => {
    assert.ok(!eq('sip:a@b.com', 'sips:a@b.com'));
    assert.ok(!eq('sip:a@b.com;maddr=1.2.3.4', 'sip:a@b.com'));
    assert.ok(!eq('sip:a@b.com;user=phone', 'sip:a@b.com;user=ip'));
    assert.ok(eq('sip:a@b.com;lr', 'sip:a@b.com'));
    assert.ok(!eq('sip:a@b.com;lr', 'sip:a@b.com;lr=on'));
  });

  test('tel URIs ignore visual separators; tel and sip never match', () => {
    assert.ok(eq('tel:+1-201-555-0123', 'tel:+1(201)5550123'));
    assert.ok(!eq('tel:+1-201-555-0123', 'tel:+1-201-555-0124'));
    assert.ok(!eq('tel:+12015550123', 'sip:+12015550123@example.com'));
    assert.ok(eq('tel:7042;phone-context=EXAMPLE.com', 'tel:7042;phone-context=example.com'));
  });
});

// Values that formatUri can write and parseUri reads back to the same value.
const token = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/);
const anyText = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });
const hostArb = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,3}$/),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a.toLowerCase()}]`),
);
const sipUriArb: fc.Arbitrary<SipUri> = fc
  .record(
    {
      scheme: fc.constantFrom('sip' as const, 'sips' as const),
      user: anyText,
      password: anyText,
      host: hostArb,
      port: fc.integer({ min: 1, max: 65535 }),
      params: fc.uniqueArray(fc.tuple(token, fc.option(anyText, { nil: null })), { selector: ([k]) => k, maxLength: 4 }),
      headers: fc.uniqueArray(fc.tuple(token, fc.string({ maxLength: 10 })), { selector: ([k]) => k, maxLength: 3 }),
    },
    { requiredKeys: ['scheme', 'host', 'params', 'headers'] },
  )
  .filter((r) => r.password === undefined || r.user !== undefined)
  .map((r) => ({ ...r, params: new Map(r.params), headers: new Map(r.headers) }));

describe('properties', () => {
  test('parseUri(formatUri(u)) is u for any SIP URI value', () => {
    fc.assert(
      fc.property(sipUriArb, (u) => {
        const back = parseUri(formatUri(u));
        assert.deepEqual(back, u);
        assert.ok(uriEquals(back, u));
      }),
      { numRuns: 500 },
    );
  });

  test('parseUri on arbitrary text throws nothing but SipParseError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => 'sip:' + s), fc.string().map((s) => 'tel:' + s)), (s) => {
        try {
          const u: Uri = parseUri(s);
          // Whatever parses, formats and parses to an equal URI.
          assert.ok(uriEquals(parseUri(formatUri(u)), u));
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
