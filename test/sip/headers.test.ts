import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  appendHeader, formatCSeq, formatNameAddr, formatParams, formatVia, getCSeq, getHeader, getHeaders, hasHeader,
  parseCSeq, parseNameAddr, parseParams, parseVia, prependHeader, quote, removeFirstHeader, removeHeader, setHeader,
  topVia, unquote, withBody,
} from '../../src/sip/headers.ts';
import { parseMessage, SipParseError } from '../../src/sip/parser.ts';
import type { NameAddr, SipRequest, Via } from '../../src/sip/message.ts';

const invite = parseMessage(readFileSync(new URL('../fixtures/sip/sipp-uac-invite.sip', import.meta.url))) as SipRequest;

describe('parseVia / formatVia (RFC 3261 §20.42)', () => {
  test('a plain Via with port and parameters', () => {
    const via = parseVia('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-15064-1-0;rport;received=10.0.0.1');
    assert.deepEqual(
      { ...via, params: [...via.params] },
      {
        protocol: 'SIP/2.0',
        transport: 'UDP',
        host: '127.0.0.1',
        port: 5060,
        params: [['branch', 'z9hG4bK-15064-1-0'], ['rport', null], ['received', '10.0.0.1']],
      },
    );
  });

  test('LWS around / : ; = and letter case', () => {
    const via = parseVia('sip / 2.0 / tcp   Host.Example.COM : 5061 ;  Branch = z9hG4bKx ; RPORT');
    assert.equal(via.protocol, 'SIP/2.0');
    assert.equal(via.transport, 'TCP');
    assert.equal(via.host, 'host.example.com');
    assert.equal(via.port, 5061);
    assert.deepEqual([...via.params], [['branch', 'z9hG4bKx'], ['rport', null]]);
  });

  test('IPv6 sent-by and quoted parameter values', () => {
    const via = parseVia('SIP/2.0/WS [2001:db8::1]:8080;branch=z9hG4bK1;x="a;b, c"');
    assert.equal(via.host, '[2001:db8::1]');
    assert.equal(via.port, 8080);
    assert.equal(via.params.get('x'), '"a;b, c"');
  });

  test('formatVia writes the canonical form', () => {
    const via: Via = { protocol: 'SIP/2.0', transport: 'TCP', host: '192.0.2.1', port: 5060, params: new Map([['branch', 'z9hG4bKabc'], ['rport', null]]) };
    assert.equal(formatVia(via), 'SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKabc;rport');
    assert.deepEqual(parseVia(formatVia(via)), via);
    assert.equal(formatVia({ ...via, port: undefined, params: new Map() }), 'SIP/2.0/TCP 192.0.2.1');
  });

  test('malformed Vias', () => {
    for (const bad of [
      '', 'SIP/2.0', 'SIP/2.0/UDP', 'SIP/2.0/UDP ', 'SIP/2.0 UDP host', 'SIP/2.0/UDPhost', 'SIP/2.0/UDP host:', 'SIP/2.0/UDP host:123456',
      'SIP/2.0/UDP host;;', 'SIP/2.0/UDP host;branch=', 'SIP/2.0/UDP host junk', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP [zz]', 'SIP/2.0/UDP host;x="open',
    ]) {
      assert.throws(() => parseVia(bad), SipParseError, JSON.stringify(bad));
    }
  });
});

describe('parseNameAddr / formatNameAddr (RFC 3261 §20.10, §25.1)', () => {
  test('quoted display name, URI in <>, header parameters after', () => {
    const na = parseNameAddr('"Doe, \\"J\\"" <sip:j@example.com;transport=tcp>;tag=abc;expires=60');
    assert.deepEqual(na, {
      displayName: 'Doe, "J"',
      uri: 'sip:j@example.com;transport=tcp',
      params: new Map([['tag', 'abc'], ['expires', '60']]),
    });
  });

  test('token display name, no display name, addr-spec', () => {
    assert.equal(parseNameAddr('Alice Smith <sip:a@b.com>').displayName, 'Alice Smith');
    assert.equal(parseNameAddr('José Núñez <sip:a@b.com>').displayName, 'José Núñez');
    assert.equal(parseNameAddr('<sip:a@b.com>').displayName, undefined);
    assert.equal(parseNameAddr('"" <sip:a@b.com>').displayName, '');
    const spec = parseNameAddr('sip:a@b.com;tag=1');
    assert.equal(spec.uri, 'sip:a@b.com');
    assert.equal(spec.params.get('tag'), '1');
    assert.deepEqual(parseNameAddr(' * '), { uri: '*', params: new Map() });
  });

  test('errors', () => {
    for (const bad of [
      '', '"unterminated <sip:a@b>', 'Bell, Alexander <sip:a@b.com>', '<sip:a@b.com', '<>', '< >', 'sip:a@b.com?x=y',
      'sip:a,b@c.com', '<sip:a@b.com> junk', '<sip:a@b.com>;', '<sip:a b@c.com>', 'nocolon', '"x" sip:a@b.com',
      '<sip:a@b.com>;tag=', '<sip:a@b.com>;=x',
    ]) {
      assert.throws(() => parseNameAddr(bad), SipParseError, JSON.stringify(bad));
    }
  });

  test('formatNameAddr quotes the display name and always brackets the URI', () => {
    const na: NameAddr = { displayName: 'Doe, "J" \\', uri: 'sip:j@example.com;lr', params: new Map([['tag', 'x1']]) };
    const text = formatNameAddr(na);
    assert.equal(text, '"Doe, \\"J\\" \\\\" <sip:j@example.com;lr>;tag=x1');
    assert.deepEqual(parseNameAddr(text), na);
    assert.equal(formatNameAddr({ uri: 'sip:a@b', params: new Map() }), '<sip:a@b>');
    assert.equal(formatNameAddr({ uri: '*', params: new Map() }), '*');
  });

  test('round trip for generated values', () => {
    const tokenArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 12, unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s)), { nil: undefined }),
        fc.uniqueArray(fc.tuple(tokenArb, fc.option(fc.stringMatching(/^[a-zA-Z0-9.!%*_+`'~-]{1,8}$/), { nil: null })), { selector: ([k]) => k, maxLength: 4 }),
        (displayName, params) => {
          const na: NameAddr = { uri: 'sip:user@example.com;lr', params: new Map(params), ...(displayName ? { displayName } : {}) };
          assert.deepEqual(parseNameAddr(formatNameAddr(na)), na);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseCSeq, parseParams, quoting', () => {
  test('CSeq', () => {
    assert.deepEqual(parseCSeq('0009\t INVITE'), { seq: 9, method: 'INVITE' });
    assert.deepEqual(parseCSeq('4294967295 OPTIONS'), { seq: 4294967295, method: 'OPTIONS' });
    assert.deepEqual(parseCSeq('000000000000001 ACK'), { seq: 1, method: 'ACK' });
    for (const bad of ['4294967296 INVITE', 'INVITE', '1INVITE', '1 ', '-1 INVITE', '1 IN VITE', '1 INV@ITE']) {
      assert.throws(() => parseCSeq(bad), SipParseError, bad);
    }
    assert.equal(formatCSeq({ seq: 7, method: 'BYE' }), '7 BYE');
  });

  test('parseParams with or without the leading semicolon', () => {
    assert.deepEqual([...parseParams(';a=1;B;c="x;y"')], [['a', '1'], ['b', null], ['c', '"x;y"']]);
    assert.deepEqual([...parseParams('a=1')], [['a', '1']]);
    assert.equal(parseParams('  ').size, 0);
    assert.equal(formatParams(parseParams(';a=1;b;c="x y"')), ';a=1;b;c="x y"');
    assert.throws(() => parseParams(';a=1;;b'), SipParseError);
  });

  test('quote and unquote', () => {
    assert.equal(quote('a "b" \\c'), '"a \\"b\\" \\\\c"');
    assert.equal(unquote(quote('a "b" \\c')), 'a "b" \\c');
    assert.equal(unquote('token'), 'token');
    assert.equal(quote('line\r\nbreak'), '"line  break"');
  });
});

describe('header access', () => {
  test('getHeader is case-insensitive and takes compact forms', () => {
    assert.equal(getHeader(invite, 'call-id'), '1-15064@127.0.0.1');
    assert.equal(getHeader(invite, 'i'), '1-15064@127.0.0.1');
    assert.equal(getHeader(invite, 'CALL-ID'), '1-15064@127.0.0.1');
    assert.equal(getHeader(invite, 'X-Absent'), undefined);
    assert.ok(hasHeader(invite, 'v'));
    assert.deepEqual(getCSeq(invite), { seq: 1, method: 'INVITE' });
    assert.equal(topVia(invite).params.get('branch'), 'z9hG4bK-15064-1-0');
  });

  test('hand-built headers with compact or odd-case names are found too', () => {
    const m: SipRequest = { ...invite, headers: [{ name: 'v', value: 'SIP/2.0/UDP a;branch=z9hG4bK1' }, { name: 'x-FOO', value: '1' }] };
    assert.equal(topVia(m).host, 'a');
    assert.equal(getHeader(m, 'X-Foo'), '1');
    assert.throws(() => topVia({ ...m, headers: [] }), SipParseError);
  });

  test('setHeader, prependHeader, appendHeader, removeHeader return new messages and never mutate', () => {
    const before = JSON.stringify(invite.headers);
    const twoVias = prependHeader(invite, 'Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1');
    assert.deepEqual(getHeaders(twoVias, 'Via'), ['SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1', 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-15064-1-0']);
    assert.equal(twoVias.headers[0]?.name, 'Via');
    const rr = appendHeader(prependHeader(invite, 'Record-Route', '<sip:a;lr>'), 'rEcOrD-rOuTe', ['<sip:b;lr>', '<sip:c;lr>']);
    assert.deepEqual(getHeaders(rr, 'Record-Route'), ['<sip:a;lr>', '<sip:b;lr>', '<sip:c;lr>']);
    assert.equal(rr.headers[0]?.name, 'Record-Route', 'no Record-Route before: prepended at the top');
    const subj = setHeader(invite, 's', 'Changed');
    assert.equal(getHeader(subj, 'Subject'), 'Changed');
    assert.equal(subj.headers.findIndex((h) => h.name === 'Subject'), invite.headers.findIndex((h) => h.name === 'Subject'));
    assert.equal(getHeader(setHeader(invite, 'X-New', 'v'), 'X-New'), 'v');
    assert.equal(getHeader(removeHeader(invite, 'Subject'), 'Subject'), undefined);
    assert.deepEqual(getHeaders(removeFirstHeader(twoVias, 'Via'), 'Via'), getHeaders(invite, 'Via'));
    assert.equal(removeFirstHeader(invite, 'X-None'), invite);
    assert.equal(JSON.stringify(invite.headers), before);
  });

  test('withBody sets Content-Type and Content-Length', () => {
    const m = withBody(invite, 'hello', 'text/plain');
    assert.equal(m.body.toString(), 'hello');
    assert.equal(getHeader(m, 'Content-Type'), 'text/plain');
    assert.equal(getHeader(m, 'Content-Length'), '5');
    const empty = withBody(invite, Buffer.alloc(0));
    assert.equal(getHeader(empty, 'Content-Type'), undefined);
    assert.equal(getHeader(empty, 'Content-Length'), '0');
    assert.equal(invite.body.length, 129);
  });
});
