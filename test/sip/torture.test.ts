/**
 * RFC 4475 torture tests: every message of §3, as bytes (test/fixtures/rfc4475).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMessage, SipParseError } from '../../src/sip/parser.ts';
import { getHeader, getHeaders, parseCSeq, parseNameAddr, parseVia, topVia, unquote } from '../../src/sip/headers.ts';
import { parseUri } from '../../src/sip/uri.ts';
import type { SipMessage, SipRequest, SipResponse, SipUri } from '../../src/sip/message.ts';

const load = (name: string): Buffer => readFileSync(new URL(`../fixtures/rfc4475/${name}.sip`, import.meta.url));

function request(name: string): SipRequest {
  const m = parseMessage(load(name));
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

function response(name: string): SipResponse {
  const m = parseMessage(load(name));
  assert.equal(m.kind, 'response');
  return m as SipResponse;
}

function sipUri(text: string): SipUri {
  const u = parseUri(text);
  assert.notEqual(u.scheme, 'tel');
  return u as SipUri;
}

function header(m: SipMessage, name: string): string {
  const v = getHeader(m, name);
  assert.notEqual(v, undefined, `${name} present`);
  return v as string;
}

function rejection(name: string): SipParseError {
  try {
    parseMessage(load(name));
  } catch (e) {
    assert.ok(e instanceof SipParseError, `${name}: ${String(e)}`);
    return e;
  }
  assert.fail(`${name} was accepted`);
}

describe('RFC 4475 §3.1.1 valid messages', () => {
  test('3.1.1.1 wsinv: a short tortuous INVITE', () => {
    const m = request('wsinv');
    assert.equal(m.method, 'INVITE');
    assert.equal(m.uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
    const ruri = sipUri(m.uri);
    assert.equal(ruri.user, 'vivekg');
    assert.equal(ruri.host, 'chair-dnrc.example.com');
    assert.deepEqual([...ruri.params], [['unknownparam', null]]);
    // Header order and canonical names: "TO :", "from   :", "MaX-fOrWaRdS", "s :", "v:", "m:".
    assert.deepEqual(
      m.headers.map((h) => h.name),
      ['To', 'From', 'Max-Forwards', 'Call-ID', 'Content-Length', 'CSeq', 'Via', 'Subject', 'NewFangledHeader',
        'UnknownHeaderWithUnusualValue', 'Content-Type', 'Route', 'Via', 'Via', 'Contact'],
    );
    const to = parseNameAddr(header(m, 'To'));
    assert.equal(to.displayName, undefined);
    assert.equal(to.uri, 'sip:vivekg@chair-dnrc.example.com');
    assert.equal(to.params.get('tag'), '1918181833n');
    const from = parseNameAddr(header(m, 'From'));
    // "J Rosenberg \\\"" : quoted-pairs resolved.
    assert.equal(from.displayName, 'J Rosenberg \\"');
    assert.equal(from.uri, 'sip:jdrosen@example.com');
    assert.equal(from.params.get('tag'), '98asjd8');
    assert.equal(header(m, 'Max-Forwards'), '0068');
    assert.equal(header(m, 'Call-ID'), 'wsinv.ndaksdj@192.0.2.1');
    assert.deepEqual(parseCSeq(header(m, 'CSeq')), { seq: 9, method: 'INVITE' });
    const vias = getHeaders(m, 'Via').map(parseVia);
    assert.deepEqual(
      vias.map((v) => [v.protocol, v.transport, v.host, v.port, v.params.get('branch')]),
      [
        ['SIP/2.0', 'UDP', '192.0.2.2', undefined, '390skdjuw'],
        ['SIP/2.0', 'TCP', 'spindle.example.com', undefined, 'z9hG4bK9ikj8'],
        ['SIP/2.0', 'UDP', '192.168.255.111', undefined, 'z9hG4bK30239'],
      ],
    );
    assert.equal(header(m, 'Subject'), '');
    assert.equal(header(m, 'NewFangledHeader'), 'newfangled value continued newfangled value');
    assert.equal(header(m, 'UnknownHeaderWithUnusualValue'), ';;,,;;,;');
    const route = sipUri(parseNameAddr(header(m, 'Route')).uri);
    assert.deepEqual([...route.params], [['lr', null], ['unknownwith', 'value'], ['unknown-no-value', null]]);
    const contacts = getHeaders(m, 'Contact');
    assert.equal(contacts.length, 1);
    const contact = parseNameAddr(contacts[0] as string);
    assert.equal(contact.displayName, 'Quoted string ""');
    assert.equal(contact.uri, 'sip:jdrosen@example.com');
    assert.deepEqual([...contact.params], [['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
    assert.equal(m.body.length, 150);
    assert.ok(m.body.toString('latin1').startsWith('v=0\r\no=mhandley'));
  });

  test('3.1.1.2 intmeth: wide range of valid characters', () => {
    const m = request('intmeth');
    assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    const ruri = sipUri(m.uri);
    assert.equal(ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(ruri.host, 'example.com');
    assert.equal(topVia(m).params.get('branch'), "z9hG4bK-.!%66*_+`'~");
    const to = parseNameAddr(header(m, 'To'));
    assert.equal(to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    assert.equal(sipUri(to.uri).user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    const from = parseNameAddr(header(m, 'From'));
    assert.equal(from.displayName, "token1~` token2'+_ token3*%!.-");
    assert.equal(unquote(from.params.get("fromparam''~+*_!.-%") as string), 'работающий');
    assert.equal(from.params.get('tag'), "_token~1'+`*%!-.");
    assert.equal(header(m, 'Call-ID'), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    assert.deepEqual(parseCSeq(header(m, 'CSeq')), { seq: 139122385, method: m.method });
    assert.equal(header(m, 'Max-Forwards'), '255');
    // The value starts with a UTF-8 BOM, which is data, not whitespace to trim.
    assert.equal(header(m, "extensionHeader-!.%*+_`'~"), '\ufeff大停電');
    assert.equal(m.headers.find((h) => h.name.startsWith('extension'))?.name, "extensionHeader-!.%*+_`'~");
  });

  test('3.1.1.3 esc01: valid use of the % escaping mechanism', () => {
    const m = request('esc01');
    const ruri = sipUri(m.uri);
    assert.equal(ruri.user, 'sips:user@example.com');
    assert.equal(ruri.host, 'example.net');
    assert.equal(sipUri(parseNameAddr(header(m, 'To')).uri).user, 'user');
    assert.equal(sipUri(parseNameAddr(header(m, 'From')).uri).user, 'I have spaces');
    assert.equal(header(m, 'Call-ID'), 'esc01.239409asdfakjkn23onasd0-3234');
    assert.equal(header(m, 'Content-Type'), 'application/sdp');
    const contact = sipUri(parseNameAddr(header(m, 'Contact')).uri);
    assert.equal(contact.user, 'caller');
    assert.equal(contact.params.get('lr'), null);
    // Unescaped once: "value%41", NOT "valueA".
    assert.equal(contact.params.get('name'), 'value%41');
    assert.equal(m.body.length, 150);
  });

  test('3.1.1.4 escnull: escaped nulls in URIs', () => {
    const m = request('escnull');
    assert.equal(m.method, 'REGISTER');
    assert.equal(sipUri(parseNameAddr(header(m, 'To')).uri).user, 'null-\0-null');
    const contacts = getHeaders(m, 'Contact').map((c) => sipUri(parseNameAddr(c).uri).user);
    assert.deepEqual(contacts, ['\0', '\0\0']);
    assert.equal(header(m, 'Content-Length'), '0');
  });

  test('3.1.1.5 esc02: % is not an escape in most places', () => {
    const m = request('esc02');
    assert.equal(m.method, 'RE%47IST%45R');
    assert.equal(parseNameAddr(header(m, 'To')).displayName, '%Z%45');
    assert.equal(parseNameAddr(header(m, 'From')).displayName, '%Z%45');
    assert.equal(topVia(m).params.get('branch'), 'z9hG4bK209%fzsnel234');
    assert.equal(parseCSeq(header(m, 'CSeq')).method, 'RE%47IST%45R');
    assert.deepEqual(
      getHeaders(m, 'Contact').map((c) => parseNameAddr(c).uri),
      ['sip:alias1@host1.example.com', 'sip:alias3@host3.example.com'],
    );
    assert.equal(header(m, 'C%6Fntact'), '<sip:alias2@host2.example.com>');
  });

  test('3.1.1.6 lwsdisp: no LWS between display name and <', () => {
    const m = request('lwsdisp');
    const from = parseNameAddr(header(m, 'From'));
    assert.equal(from.displayName, 'caller');
    assert.equal(from.uri, 'sip:caller@example.com');
    assert.equal(from.params.get('tag'), '323');
  });

  test('3.1.1.7 longreq: long values and many headers', () => {
    const m = request('longreq');
    const to = parseNameAddr(header(m, 'To'));
    assert.equal(to.displayName, `I have a user name of ${'extreme'.repeat(10)} proportion`);
    const toUri = sipUri(to.uri);
    assert.equal(toUri.port, 6000);
    assert.equal(toUri.params.get('unknownparam1'), `very${'long'.repeat(20)}value`);
    assert.equal(toUri.params.get(`longparam${'name'.repeat(25)}`), 'shortvalue');
    assert.equal(toUri.params.get(`very${'long'.repeat(25)}parameternamewithnovalue`), null);
    const from = parseNameAddr(header(m, 'From'));
    assert.equal(from.params.get('tag'), `12${'982'.repeat(50)}424`);
    assert.equal(sipUri(from.uri).user, 'amazinglylongcallername'.repeat(5));
    assert.equal(from.params.get(`unknownheaderparam${'name'.repeat(20)}`), `unknowheaderparam${'value'.repeat(15)}`);
    assert.equal(header(m, 'Call-ID'), `longreq.one${'really'.repeat(20)}longcallid`);
    const vias = getHeaders(m, 'Via').map(parseVia);
    assert.equal(vias.length, 34);
    assert.deepEqual(
      vias.slice(0, 33).map((v) => v.host),
      Array.from({ length: 33 }, (_, i) => `sip${33 - i}.example.com`),
    );
    const last = vias[33];
    assert.equal(last?.host, 'host.example.com');
    assert.equal(last?.params.get('received'), '192.0.2.5');
    assert.equal(last?.params.get('branch'), `very${'long'.repeat(50)}branchvalue`);
    assert.equal(
      header(m, `Unknown-${'Long'.repeat(20)}-Name`),
      `unknown-${'long'.repeat(20)}-value; unknown-${'long'.repeat(20)}-parameter-name = unknown-${'long'.repeat(20)}-parameter-value`,
    );
    assert.equal(m.body.length, 150);
  });

  test('3.1.1.8 dblreq: octets after the body of a datagram are ignored', () => {
    const m = request('dblreq');
    assert.equal(m.method, 'REGISTER');
    assert.equal(m.body.length, 0);
    assert.equal(header(m, 'Call-ID'), 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    assert.deepEqual(getHeaders(m, 'CSeq'), ['8 REGISTER']);
    assert.equal(getHeaders(m, 'Content-Type').length, 0);
  });

  test('3.1.1.9 semiuri: semicolon-separated parameters in the user part', () => {
    const m = request('semiuri');
    const ruri = sipUri(m.uri);
    assert.equal(ruri.user, 'user;par=u@example.net');
    assert.equal(ruri.host, 'example.com');
    assert.equal(ruri.params.size, 0);
    assert.deepEqual(getHeaders(m, 'Accept'), [
      'application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag',
    ]);
  });

  test('3.1.1.10 transports: every transport in Via', () => {
    const m = request('transports');
    assert.deepEqual(getHeaders(m, 'Via').map((v) => parseVia(v).transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    assert.equal(header(m, 'Call-ID'), 'transports.kijh4akdnaqjkwendsasfdj');
  });

  test('3.1.1.11 mpart01: multipart body with binary content', () => {
    const m = request('mpart01');
    assert.equal(m.method, 'MESSAGE');
    assert.equal(m.body.length, 553);
    assert.ok(m.body.includes(0), 'the binary part holds NUL octets');
    assert.ok(m.body.toString('latin1').endsWith('--7a9cbec02ceef655--\r\n'));
    const via = topVia(m);
    assert.equal(via.port, 5070);
    assert.equal(via.params.get('rport'), null);
    assert.equal(header(m, 'Date'), 'Sat, 15 Oct 2005 04:44:56 GMT');
    assert.equal(header(m, 'Content-Type'), 'multipart/mixed;boundary=7a9cbec02ceef655');
    assert.equal(header(m, 'Identity').length, 172);
  });

  test('3.1.1.12 unreason: unusual reason phrase', () => {
    const m = response('unreason');
    assert.equal(m.status, 200);
    assert.equal(m.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
    assert.equal(m.body.length, 154);
  });

  test('3.1.1.13 noreason: empty reason phrase', () => {
    const m = response('noreason');
    assert.equal(m.status, 100);
    assert.equal(m.reason, '');
    assert.equal(parseNameAddr(header(m, 'To')).params.get('tag'), '902jndnke3');
  });
});

describe('RFC 4475 §3.1.2 invalid messages', () => {
  // The RFC asks for a 400 to each of these requests: the parser rejects them and hands
  // back what it read so the 400 can be built.
  const answeredWith400: [string, RegExp][] = [
    ['badinv01', /Via/], // §3.1.2.1 ;;,;,, in Via (and ;;;; in Contact)
    ['clerr', /shorter than Content-Length/], // §3.1.2.2
    ['ncl', /Content-Length/], // §3.1.2.3 Content-Length: -999
    ['scalar02', /CSeq number out of range/], // §3.1.2.4
    ['quotbal', /To/], // §3.1.2.6 unterminated quote
    ['ltgtruri', /Request-URI/], // §3.1.2.7 <> around the Request-URI
    ['lwsruri', /Request-URI/], // §3.1.2.8 LWS in the Request-URI
    ['escruri', /headers in Request-URI/], // §3.1.2.11
    ['baddn', /From|To/], // §3.1.2.15 unquoted display name with a comma
    ['mismatch01', /CSeq method/], // §3.1.2.17
    ['mismatch02', /CSeq method/], // §3.1.2.18 (501 is also allowed; we say 400)
  ];
  for (const [name, reason] of answeredWith400) {
    test(`${name}: rejected, with a partial request for the 400`, () => {
      const e = rejection(name);
      assert.match(e.reason, reason);
      assert.equal(e.status, 400);
      assert.ok(e.partial, 'partial is set');
      assert.equal(e.partial.kind, 'request');
      assert.ok(getHeader(e.partial, 'Call-ID'), 'the partial request carries its headers');
    });
  }

  test('clerr: the partial body is what arrived', () => {
    const e = rejection('clerr');
    assert.equal(e.partial?.body.length, 154);
  });

  test('badvers: SIP/7.0 calls for 505, with a partial request', () => {
    const e = rejection('badvers');
    assert.equal(e.status, 505);
    assert.equal(e.partial?.method, 'OPTIONS');
  });

  test('scalarlg and bigcode: malformed responses are rejected without partial', () => {
    for (const name of ['scalarlg', 'bigcode']) {
      const e = rejection(name);
      assert.equal(e.partial, undefined, name);
    }
    assert.match(rejection('bigcode').reason, /status code/);
    assert.match(rejection('scalarlg').reason, /CSeq/);
  });

  test('lwsstart and trws: extra SP in the start line is tolerated (the RFC allows either)', () => {
    const a = request('lwsstart');
    assert.equal(a.method, 'INVITE');
    assert.equal(a.uri, 'sip:user@example.com');
    const b = request('trws');
    assert.equal(b.method, 'OPTIONS');
    assert.equal(b.uri, 'sip:remote-target@example.com');
  });

  test('baddate: a non-GMT Date is kept, not judged (the element does not use it)', () => {
    assert.equal(header(request('baddate'), 'Date'), 'Fri, 01 Jan 2010 16:00:00 EST');
  });

  test('badaspec: spaces inside <> are ignored; the comma in the quoted name does not split To', () => {
    const m = request('badaspec');
    assert.deepEqual(getHeaders(m, 'To'), ['"Watson, Thomas" < sip:t.watson@example.org >']);
    const to = parseNameAddr(header(m, 'To'));
    assert.equal(to.displayName, 'Watson, Thomas');
    assert.equal(to.uri, 'sip:t.watson@example.org');
  });

  test('regbadct: the addr-spec Contact with a ? is caught when the Contact is read', () => {
    const m = request('regbadct');
    assert.throws(() => parseNameAddr(header(m, 'Contact')), SipParseError);
  });
});

describe('RFC 4475 §3.2 and §3.3: transaction and application layer messages', () => {
  test('badbranch: z9hG4bK with nothing after it parses', () => {
    assert.equal(topVia(request('badbranch')).params.get('branch'), 'z9hG4bK');
  });

  test('insuf: missing To, From and Call-ID is a 400 with partial', () => {
    const e = rejection('insuf');
    assert.match(e.reason, /missing/);
    assert.ok(e.partial);
    assert.equal(getHeader(e.partial, 'CSeq'), '193942 INVITE');
  });

  test('unkscm and novelsc: unknown Request-URI schemes parse; parseUri says 416', () => {
    for (const name of ['unkscm', 'novelsc']) {
      const m = request(name);
      assert.throws(
        () => parseUri(m.uri),
        (e: unknown) => e instanceof SipParseError && e.status === 416,
      );
    }
    assert.equal(request('novelsc').uri, 'soap.beep://192.0.2.103:3002');
  });

  test('unksm2: non-SIP URIs in To, From and Contact parse as name-addrs', () => {
    const m = request('unksm2');
    assert.equal(parseNameAddr(header(m, 'To')).uri, 'isbn:2983792873');
    assert.equal(parseNameAddr(header(m, 'From')).uri, 'http://www.example.com');
    assert.equal(parseNameAddr(header(m, 'Contact')).uri, 'name:John_Smith');
  });

  test('bext01: Require and Proxy-Require are split into their values', () => {
    const m = request('bext01');
    assert.deepEqual(getHeaders(m, 'Require'), ['nothingSupportsThis', 'nothingSupportsThisEither']);
    assert.deepEqual(getHeaders(m, 'Proxy-Require'), ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  });

  test('invut: an unknown body type is carried', () => {
    const m = request('invut');
    assert.equal(header(m, 'Content-Type'), 'application/unknownformat');
    assert.equal(m.body.toString(), '<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
  });

  test('regaut01: an unknown Authorization scheme is one header, not split', () => {
    assert.deepEqual(getHeaders(request('regaut01'), 'Authorization'), ['NoOneKnowsThisScheme opaque-data=here']);
  });

  test('multi01: duplicated single-value headers are a 400 with partial', () => {
    const e = rejection('multi01');
    assert.match(e.reason, /duplicate/);
    assert.ok(e.partial);
  });

  test('mcl01: conflicting Content-Length values are a 400 with partial', () => {
    const e = rejection('mcl01');
    assert.match(e.reason, /Content-Length/);
    assert.ok(e.partial);
  });

  test('bcast: a response with a broadcast Via parses (what to do is the transaction layer\'s)', () => {
    const m = response('bcast');
    assert.deepEqual(getHeaders(m, 'Via').map((v) => parseVia(v).host), ['192.0.2.198', '255.255.255.255']);
  });

  test('zeromf: Max-Forwards 0 parses', () => {
    assert.equal(header(request('zeromf'), 'Max-Forwards'), '0');
  });

  test('cparam01: parameters after an addr-spec are header parameters', () => {
    const c = parseNameAddr(header(request('cparam01'), 'Contact'));
    assert.equal(c.uri, 'sip:+19725552222@gw1.example.net');
    assert.deepEqual([...c.params], [['unknownparam', null]]);
    assert.equal(sipUri(c.uri).params.size, 0);
  });

  test('cparam02: parameters inside <> are URI parameters', () => {
    const c = parseNameAddr(header(request('cparam02'), 'Contact'));
    assert.equal(c.params.size, 0);
    assert.equal(sipUri(c.uri).params.get('unknownparam'), null);
  });

  test('regescrt: escaped headers in a bracketed Contact URI', () => {
    const c = sipUri(parseNameAddr(header(request('regescrt'), 'Contact')).uri);
    assert.equal(c.headers.get('Route'), '<sip:sip.example.com>');
  });

  test('sdp01: Accept is carried for the 415 decision', () => {
    assert.deepEqual(getHeaders(request('sdp01'), 'Accept'), ['text/nobodyKnowsThis']);
  });

  test('inv2543: an RFC 2543 INVITE without Content-Length takes the rest of the datagram', () => {
    const m = request('inv2543');
    assert.equal(getHeader(m, 'Content-Length'), undefined);
    assert.equal(m.body.length, 105);
    assert.equal(topVia(m).params.get('branch'), undefined);
    const to = parseNameAddr(header(m, 'To'));
    assert.equal(to.params.get('user'), 'phone'); // addr-spec: user=phone belongs to the header
    const from = parseNameAddr(header(m, 'From'));
    assert.equal(sipUri(from.uri).params.get('user'), 'phone');
  });
});
