/**
 * RFC 5118 IPv6 torture tests, as bytes (test/fixtures/rfc5118).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMessage, SipParseError } from '../../src/sip/parser.ts';
import { getHeader, getHeaders, parseNameAddr, parseVia, topVia } from '../../src/sip/headers.ts';
import { formatUri, parseUri, uriEquals } from '../../src/sip/uri.ts';
import { serializeMessage } from '../../src/sip/serialize.ts';
import type { SipRequest, SipUri } from '../../src/sip/message.ts';

const load = (name: string): Buffer => readFileSync(new URL(`../fixtures/rfc5118/${name}.sip`, import.meta.url));

function request(name: string): SipRequest {
  const m = parseMessage(load(name));
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

function sipUri(text: string): SipUri {
  const u = parseUri(text);
  assert.notEqual(u.scheme, 'tel');
  return u as SipUri;
}

const contactUri = (m: SipRequest): SipUri => sipUri(parseNameAddr(getHeader(m, 'Contact') as string).uri);

describe('RFC 5118 §4 IPv6 parser torture tests', () => {
  test('4.1 ipv6-good: IPv6 references in Request-URI, Via and Contact', () => {
    const m = request('ipv6-good');
    assert.equal(sipUri(m.uri).host, '[2001:db8::10]');
    assert.equal(topVia(m).host, '[2001:db8::9:1]');
    assert.equal(contactUri(m).host, '[2001:db8::1]');
  });

  test('4.2 ipv6-bad: an IPv6 address without brackets in the Request-URI is a 400', () => {
    assert.throws(
      () => parseMessage(load('ipv6-bad')),
      (e: unknown) => e instanceof SipParseError && e.status === 400 && e.partial?.method === 'REGISTER',
    );
  });

  test('4.3 port-ambiguous: [2001:db8::10:5070] is an address, not an address and a port', () => {
    const u = sipUri(request('port-ambiguous').uri);
    assert.equal(u.host, '[2001:db8::10:5070]');
    assert.equal(u.port, undefined);
  });

  test('4.4 port-unambiguous: the port follows the closing bracket', () => {
    const u = sipUri(request('port-unambiguous').uri);
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, 5070);
    assert.equal(formatUri(u), 'sip:[2001:db8::10]:5070');
  });

  test('4.5 via-received-param-with-delim: received=[...] is read', () => {
    const via = topVia(request('via-received-param-with-delim'));
    assert.equal(via.host, '[2001:db8::9:1]');
    assert.equal(via.params.get('received'), '[2001:db8::9:255]');
    assert.equal(via.params.get('branch'), 'z9hG4bKas3-111');
  });

  test('4.5 via-received-param-no-delim: received=2001:db8::9:255 is read', () => {
    const m = request('via-received-param-no-delim');
    const via = topVia(m);
    assert.equal(via.params.get('received'), '2001:db8::9:255');
    assert.equal(via.params.get('branch'), 'z9hG4bKas3');
    assert.equal(contactUri(m).host, '[2001:db8::9:1]');
  });

  test('4.6 ipv6-in-sdp: the body is carried whole', () => {
    const m = request('ipv6-in-sdp');
    assert.equal(m.body.length, 251);
    assert.match(m.body.toString(), /^c=IN IP6 2001:db8::20\r$/m);
    assert.equal(sipUri(parseNameAddr(getHeader(m, 'To') as string).uri).host, '[2001:db8::10]');
  });

  test('4.7 mult-ip-in-header: IPv4 and IPv6 Vias, with ports and received', () => {
    const vias = getHeaders(request('mult-ip-in-header'), 'Via').map(parseVia);
    assert.deepEqual(
      vias.map((v) => [v.transport, v.host, v.port, v.params.get('received')]),
      [
        ['UDP', '[2001:db8::9:1]', 6050, undefined],
        ['UDP', '192.0.2.1', undefined, undefined],
        ['TCP', '[2001:db8::9:255]', undefined, '192.0.2.200'],
      ],
    );
  });

  test('4.8 mult-ip-in-sdp: parses, body carried', () => {
    const m = request('mult-ip-in-sdp');
    assert.equal(m.body.length, 189);
    assert.equal(contactUri(m).host, '[2001:db8::9:1]');
  });

  test('4.9 ipv4-mapped-ipv6: IPv4-mapped addresses in Via and Contact', () => {
    const m = request('ipv4-mapped-ipv6');
    const vias = getHeaders(m, 'Via').map(parseVia);
    assert.deepEqual(vias.map((v) => [v.host, v.port]), [
      ['[::ffff:192.0.2.10]', 19823],
      ['[::ffff:192.0.2.2]', undefined],
    ]);
    assert.equal(contactUri(m).host, '[::ffff:192.0.2.2]');
    assert.equal(parseNameAddr(getHeader(m, 'Contact') as string).displayName, 'T. desk phone');
  });

  test('4.10 ipv6-bug-abnf-3-colons: the extra colon is rejected (RFC 5118 allows either)', () => {
    assert.throws(() => parseMessage(load('ipv6-bug-abnf-3-colons')), SipParseError);
  });

  test('4.10 ipv6-correct-abnf-2-colons: embedded IPv4 in an IPv6 reference', () => {
    const u = sipUri(request('ipv6-correct-abnf-2-colons').uri);
    assert.equal(u.user, 'user');
    assert.equal(u.host, '[2001:db8::192.0.2.1]');
  });

  test('IPv6 hosts compare case-insensitively and survive a serialize/parse round trip', () => {
    assert.ok(uriEquals(parseUri('sip:alice@[2001:DB8::1]:5070'), parseUri('sip:alice@[2001:db8::1]:5070')));
    assert.ok(!uriEquals(parseUri('sip:alice@[2001:db8::1]'), parseUri('sip:alice@[2001:db8::1]:5060')));
    for (const name of ['ipv6-good', 'mult-ip-in-header', 'ipv4-mapped-ipv6']) {
      const bytes = load(name);
      assert.deepEqual(serializeMessage(parseMessage(bytes)), bytes, name);
    }
  });
});
