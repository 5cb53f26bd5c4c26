import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  canonicalHeaderName, isKeepAlive, parseHeaderSection, parseMessage, parseStartLine, SipParseError, splitList,
} from '../../src/sip/parser.ts';
import { getHeader, getHeaders, parseNameAddr } from '../../src/sip/headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/sip/${name}.sip`, import.meta.url));

const BASE = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc',
  'Max-Forwards: 70',
  'To: <sip:bob@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 314159 OPTIONS',
];

/** A request from header lines (CRLF) plus extra lines and a body. */
function msg(extra: string[] = [], body = '', lines = BASE, eol = '\r\n'): Buffer {
  return Buffer.from([...lines, ...extra].join(eol) + eol + eol + body, 'utf8');
}

function req(buf: Buffer): SipRequest {
  const m = parseMessage(buf);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

function res(buf: Buffer): SipResponse {
  const m = parseMessage(buf);
  assert.equal(m.kind, 'response');
  return m as SipResponse;
}

function rejects(buf: Buffer, reason: RegExp, partial: boolean, status = 400): SipParseError {
  let error: unknown;
  try {
    parseMessage(buf);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof SipParseError, `expected a SipParseError, got ${String(error)}`);
  assert.match(error.reason, reason);
  assert.equal(error.status, status);
  assert.equal(error.partial !== undefined, partial, `partial ${partial ? 'expected' : 'not expected'}`);
  return error;
}

const names = (m: SipMessage): string[] => m.headers.map((h) => h.name);

describe('framing and line ends', () => {
  test('a plain request', () => {
    const m = req(msg());
    assert.equal(m.method, 'OPTIONS');
    assert.equal(m.uri, 'sip:bob@example.com');
    assert.deepEqual(names(m), ['Via', 'Max-Forwards', 'To', 'From', 'Call-ID', 'CSeq']);
    assert.equal(m.body.length, 0);
  });

  test('bare LF line ends are tolerated, also mixed with CRLF', () => {
    assert.deepEqual(req(msg([], '', BASE, '\n')).headers, req(msg()).headers);
    const mixed = Buffer.from(BASE.join('\n') + '\r\nContent-Length: 2\n\r\nhi');
    assert.equal(req(mixed).body.toString(), 'hi');
  });

  test('leading CRLFs (keep-alives before the start line, §7.5) are skipped', () => {
    assert.equal(req(Buffer.concat([Buffer.from('\r\n\r\n\n'), msg()])).method, 'OPTIONS');
  });

  test('a datagram of CRLFs is a keep-alive, not a message', () => {
    assert.ok(isKeepAlive(Buffer.from('\r\n\r\n')));
    assert.ok(!isKeepAlive(msg()));
    rejects(Buffer.from('\r\n\r\n'), /empty/, false);
    rejects(Buffer.alloc(0), /empty/, false);
  });

  test('a message without the final empty line still parses (nothing after the headers)', () => {
    assert.equal(req(Buffer.from(BASE.join('\r\n') + '\r\n')).headers.length, 6);
    assert.equal(req(Buffer.from(BASE.join('\r\n'))).headers.length, 6);
  });
});

describe('header fields', () => {
  test('line folding collapses to one SP; inner whitespace of a line is kept', () => {
    const m = req(msg(['Subject: I know  you\r\n   are there,\r\n\t pick up the phone', 'X-Empty-Fold:\r\n  value']));
    assert.equal(getHeader(m, 'Subject'), 'I know  you are there, pick up the phone');
    assert.equal(getHeader(m, 'X-Empty-Fold'), 'value');
  });

  test('a continuation line with no header before it is an error', () => {
    const lines = [BASE[0] as string, ' folded', ...BASE.slice(1)];
    rejects(msg([], '', lines), /continuation/, true);
  });

  test('compact forms map to the long names (RFC 3261 §7.3.3 and later registrations)', () => {
    const compact: Record<string, string> = {
      i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', s: 'Subject', t: 'To', f: 'From', v: 'Via',
      k: 'Supported', o: 'Event', c: 'Content-Type', r: 'Refer-To', u: 'Allow-Events', a: 'Accept-Contact', b: 'Referred-By',
      x: 'Session-Expires', y: 'Identity', d: 'Request-Disposition', j: 'Reject-Contact', n: 'Identity-Info',
    };
    for (const [short, long] of Object.entries(compact)) {
      assert.equal(canonicalHeaderName(short), long);
      assert.equal(canonicalHeaderName(short.toUpperCase()), long);
    }
    const m = req(msg(['k: timer', 'o: presence', 'x: 1800;refresher=uas']));
    assert.deepEqual(names(m).slice(6), ['Supported', 'Event', 'Session-Expires']);
  });

  test('known names are canonicalised in any case; unknown names keep their spelling', () => {
    const m = req(msg(['cOnTeNt-TyPe: text/plain', 'www-authenticate: Digest realm="x"', 'X-CUSTOM-header: 1', 'cseq-ish: 2'], ''));
    assert.deepEqual(names(m).slice(6), ['Content-Type', 'WWW-Authenticate', 'X-CUSTOM-header', 'cseq-ish']);
    assert.equal(canonicalHeaderName('CALL-id'), 'Call-ID');
    assert.equal(canonicalHeaderName('cseq'), 'CSeq');
  });

  test('whitespace before the colon, and none after it', () => {
    const m = req(msg(['Subject   :hello', 'X-A\t:  b  ']));
    assert.equal(getHeader(m, 'Subject'), 'hello');
    assert.equal(getHeader(m, 'X-A'), 'b');
  });

  test('only SP and HTAB are trimmed: a BOM or NBSP is data', () => {
    const m = req(msg(['X-Bom: \ufeffvalue\u00a0']));
    assert.equal(getHeader(m, 'X-Bom'), '\ufeffvalue\u00a0');
  });

  test('a CR that does not end a line is an error (it would become a line break when re-sent)', () => {
    rejects(msg(['Subject: a\rVia: SIP/2.0/UDP evil']), /stray CR/, true);
    const lines = [...BASE];
    lines[0] = 'OPTIONS sip:bob@example.com\r SIP/2.0';
    rejects(msg([], '', lines), /stray CR/, false);
  });

  test('UTF-8 values are decoded', () => {
    const m = req(msg(['Subject: 您好, Grüße']));
    assert.equal(getHeader(m, 'Subject'), '您好, Grüße');
  });

  test('bad header lines are errors, reported after the rest was read', () => {
    const e = rejects(msg(['this line has no colon']), /malformed header line/, true);
    assert.equal(getHeader(e.partial as SipRequest, 'CSeq'), '314159 OPTIONS');
    rejects(msg(['Bad Name: x']), /bad header name/, true);
    rejects(msg([': x']), /bad header name/, true);
  });
});

describe('list headers', () => {
  test('comma-separated values become separate headers, in order', () => {
    const m = req(
      msg([
        'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
        'Allow: INVITE, ACK,BYE',
        'Supported: timer, 100rel',
        'Require: 100rel',
        'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
        'Accept: application/sdp, multipart/mixed',
      ]),
    );
    assert.deepEqual(getHeaders(m, 'Via').length, 3);
    assert.deepEqual(getHeaders(m, 'Allow'), ['INVITE', 'ACK', 'BYE']);
    assert.deepEqual(getHeaders(m, 'Supported'), ['timer', '100rel']);
    assert.deepEqual(getHeaders(m, 'Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    assert.deepEqual(getHeaders(m, 'Accept'), ['application/sdp', 'multipart/mixed']);
  });

  test('commas inside quoted strings and <> do not split', () => {
    const m = req(msg(['Contact: "Doe, \\"John\\", Jr" <sip:j@h.com;x=a,b>;q=0.5, <sip:k@h.com>', 'Warning: 399 h.com "Busy, try later", 399 h.com "x"']));
    const contacts = getHeaders(m, 'Contact');
    assert.deepEqual(contacts, ['"Doe, \\"John\\", Jr" <sip:j@h.com;x=a,b>;q=0.5', '<sip:k@h.com>']);
    assert.equal(parseNameAddr(contacts[0] as string).displayName, 'Doe, "John", Jr');
    assert.deepEqual(getHeaders(m, 'Warning'), ['399 h.com "Busy, try later"', '399 h.com "x"']);
  });

  test('authentication headers, Date and other single values are not split', () => {
    const auth = 'Digest username="bob", realm="biloxi.com", nonce="dcd98b", uri="sip:bob@biloxi.com", response="245f2341"';
    const m = req(
      msg([
        `Authorization: ${auth}`,
        'WWW-Authenticate: Digest realm="a", nonce="b", qop="auth,auth-int"',
        'Proxy-Authenticate: Digest realm="a", nonce="b"',
        'Proxy-Authorization: Digest username="u", realm="a"',
        'Date: Sat, 13 Nov 2010 23:29:00 GMT',
        'Subject: one, two',
        'User-Agent: x, y',
        'X-Unknown: 1, 2',
      ]),
    );
    assert.deepEqual(getHeaders(m, 'Authorization'), [auth]);
    assert.equal(getHeaders(m, 'WWW-Authenticate').length, 1);
    assert.equal(getHeaders(m, 'Proxy-Authenticate').length, 1);
    assert.equal(getHeaders(m, 'Proxy-Authorization').length, 1);
    assert.deepEqual(getHeaders(m, 'Date'), ['Sat, 13 Nov 2010 23:29:00 GMT']);
    assert.deepEqual(getHeaders(m, 'Subject'), ['one, two']);
    assert.deepEqual(getHeaders(m, 'X-Unknown'), ['1, 2']);
  });

  test('empty elements: skipped in Supported, an error in Via and Contact', () => {
    assert.deepEqual(getHeaders(req(msg(['Supported: a,,b,'])), 'Supported'), ['a', 'b']);
    assert.deepEqual(getHeaders(req(msg(['Supported:'])), 'Supported'), ['']);
    rejects(msg(['Contact: <sip:a@b>,,<sip:c@d>']), /empty Contact/, true);
    rejects(msg(['Via: SIP/2.0/UDP h;branch=z9hG4bK2,']), /empty Via/, true);
  });

  test('splitList on its own', () => {
    assert.deepEqual(splitList('a'), ['a']);
    assert.deepEqual(splitList(' a , "b,c" ,<d,e>, f\\,g'), ['a', '"b,c"', '<d,e>', 'f\\', 'g']);
  });
});

describe('Content-Length and the body (RFC 3261 §18.3, §20.14)', () => {
  test('the body is exactly Content-Length octets; extra octets of a datagram are ignored', () => {
    const m = req(msg(['Content-Type: text/plain', 'Content-Length: 5'], 'hello world'));
    assert.equal(m.body.toString(), 'hello');
    assert.equal(req(msg(['l: 5'], 'hello')).body.toString(), 'hello');
  });

  test('without Content-Length the body is the rest of the datagram', () => {
    assert.equal(req(msg([], 'rest of it')).body.toString(), 'rest of it');
  });

  test('Content-Length counts octets, not characters', () => {
    const m = req(msg(['Content-Length: 6'], 'héllo'));
    assert.equal(m.body.toString('utf8'), 'héllo');
  });

  test('fewer octets than Content-Length is an error with partial', () => {
    const e = rejects(msg(['Content-Length: 50'], 'short'), /shorter/, true);
    assert.equal(e.partial?.body.toString(), 'short');
  });

  test('negative, non-numeric and absurd Content-Length values are errors', () => {
    for (const bad of ['-1', 'five', '1e3', '0x10', '', '12345678901', '1 2']) {
      rejects(msg([`Content-Length: ${bad}`]), /Content-Length/, true);
    }
  });

  test('repeated Content-Length: equal values are tolerated, different ones are not', () => {
    assert.equal(req(msg(['Content-Length: 2', 'l: 2'], 'hi')).body.toString(), 'hi');
    rejects(msg(['Content-Length: 2', 'Content-Length: 3'], 'hey'), /conflicting/, true);
  });

  test('the body is a view of the input and the input is not modified', () => {
    const buf = msg(['Content-Length: 5'], 'hello');
    const copy = Buffer.from(buf);
    const m = req(buf);
    assert.equal(m.body.buffer, buf.buffer);
    assert.deepEqual(buf, copy);
  });
});

describe('start lines', () => {
  test('status lines', () => {
    const lines = ['Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'To: <sip:a@b>;tag=2', 'From: <sip:c@d>;tag=1', 'Call-ID: x', 'CSeq: 1 INVITE'];
    const r = res(Buffer.from(['SIP/2.0 180 Ringing', ...lines].join('\r\n') + '\r\n\r\n'));
    assert.equal(r.status, 180);
    assert.equal(r.reason, 'Ringing');
    assert.equal(res(Buffer.from(['sip/2.0 699 Some Reason  ', ...lines].join('\r\n') + '\r\n\r\n')).reason, 'Some Reason  ');
    assert.equal(res(Buffer.from(['SIP/2.0 100', ...lines].join('\r\n') + '\r\n\r\n')).reason, '');
    for (const bad of ['SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 20 OK', 'SIP/2.0 2000 OK', 'SIP/2.0 abc OK', 'SIP/3.0 200 OK', 'SIP/2.0']) {
      rejects(Buffer.from([bad, ...lines].join('\r\n') + '\r\n\r\n'), /status|version/, false);
    }
  });

  test('a response missing mandatory headers is rejected without partial', () => {
    rejects(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n'), /missing/, false);
  });

  test('request lines', () => {
    assert.deepEqual(parseStartLine('INVITE sip:a@b SIP/2.0'), { kind: 'request', method: 'INVITE', uri: 'sip:a@b', version: 'SIP/2.0' });
    assert.equal(parseStartLine('INVITE sip:a@b sip/2.0').kind, 'request');
    for (const bad of ['INVITE', 'INVITE sip:a@b', 'INV@ITE sip:a@b SIP/2.0', 'INVITE sip:a@b HTTP/1.1', ' ', 'GARBAGE!!']) {
      assert.throws(() => parseStartLine(bad), SipParseError, bad);
    }
  });

  test('a start line that is not a request line is garbage: no partial', () => {
    const lines = [...BASE];
    lines[0] = 'INV(ITE) sip:bob@example.com SIP/2.0';
    rejects(msg([], '', lines), /method/, false);
    lines[0] = 'HELLO WORLD';
    rejects(msg([], '', lines), /start line/, false);
    rejects(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0d, 0x0a]), /start line|method/, false);
  });

  test('other SIP versions call for 505 (RFC 4475 §3.1.2.16)', () => {
    const lines = [...BASE];
    lines[0] = 'OPTIONS sip:bob@example.com SIP/3.0';
    rejects(msg([], '', lines), /version/, true, 505);
  });

  test('Request-URIs: sip, sips, tel and other absolute URIs parse; malformed ones are a 400', () => {
    for (const uri of ['sips:bob@example.com:5061', 'tel:+1-201-555-0123', 'urn:service:sos', 'sip:[2001:db8::1]']) {
      const lines = [...BASE];
      lines[0] = `OPTIONS ${uri} SIP/2.0`;
      assert.equal(req(msg([], '', lines)).uri, uri);
    }
    for (const uri of ['sip:bob@example.com:99999', 'bob@example.com', 'sip:bob@example.com?Subject=x', 'tel:12', '<sip:a@b>']) {
      const lines = [...BASE];
      lines[0] = `OPTIONS ${uri} SIP/2.0`;
      rejects(msg([], '', lines), /URI|tel|port|headers/, true);
    }
  });
});

describe('mandatory headers (RFC 3261 §8.1.1)', () => {
  test('each of To, From, Call-ID, CSeq missing is a 400 with partial', () => {
    for (const name of ['To', 'From', 'Call-ID', 'CSeq']) {
      rejects(msg([], '', BASE.filter((l) => !l.startsWith(name + ':'))), new RegExp(`missing ${name}`), true);
    }
  });

  test('without Via there is nowhere to answer: no partial', () => {
    rejects(msg([], '', BASE.filter((l) => !l.startsWith('Via:'))), /missing Via/, false);
  });

  test('Max-Forwards may be missing', () => {
    assert.equal(getHeader(req(msg([], '', BASE.filter((l) => !l.startsWith('Max-Forwards')))), 'Max-Forwards'), undefined);
  });

  test('duplicated single-value headers', () => {
    for (const line of ['To: <sip:x@y>', 'From: <sip:x@y>;tag=9', 'Call-ID: other', 'CSeq: 1 OPTIONS', 'Max-Forwards: 1']) {
      rejects(msg([line]), /duplicate/, true);
    }
  });

  test('CSeq must match the method, case-sensitively (§7.1)', () => {
    const lines = BASE.map((l) => (l.startsWith('CSeq') ? 'CSeq: 314159 options' : l));
    rejects(msg([], '', lines), /CSeq method/, true);
    const big = BASE.map((l) => (l.startsWith('CSeq') ? 'CSeq: 4294967296 OPTIONS' : l));
    rejects(msg([], '', big), /out of range/, true);
  });

  test('malformed To, From, top Via and Call-ID', () => {
    rejects(msg([], '', BASE.map((l) => (l.startsWith('To') ? 'To: "unbalanced <sip:a@b>' : l))), /bad To/, true);
    rejects(msg([], '', BASE.map((l) => (l.startsWith('From') ? 'From: <sip:a@b' : l))), /bad From/, true);
    rejects(msg([], '', BASE.map((l) => (l.startsWith('Via') ? 'Via: SIP/2.0 192.0.2.1' : l))), /bad Via/, true);
    rejects(msg([], '', BASE.map((l) => (l.startsWith('Call-ID') ? 'Call-ID: a b' : l))), /Call-ID/, true);
  });

  test('the partial request is the whole request as read', () => {
    const e = rejects(msg(['Content-Length: 3'], 'abc', BASE.filter((l) => !l.startsWith('To'))), /missing To/, true);
    assert.equal(e.partial?.method, 'OPTIONS');
    assert.equal(e.partial?.uri, 'sip:bob@example.com');
    assert.equal(e.partial?.body.toString(), 'abc');
    assert.equal(getHeader(e.partial as SipRequest, 'Call-ID'), 'a84b4c76e66710');
  });
});

describe('captured messages (test/fixtures/sip)', () => {
  test('SIPp and baresip requests and responses parse', () => {
    const invite = req(fixture('sipp-uac-invite'));
    assert.equal(invite.body.length, 129);
    assert.equal(getHeader(invite, 'Content-Length'), '129');
    const bare = req(fixture('baresip-invite'));
    assert.deepEqual(getHeaders(bare, 'Allow'), ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'NOTIFY', 'SUBSCRIBE', 'INFO', 'MESSAGE', 'REFER']);
    assert.deepEqual(getHeaders(bare, 'Supported'), ['']);
    assert.equal(bare.body.length, 316);
    const ok = res(fixture('sipp-uas-200-invite'));
    assert.equal(ok.status, 200);
    assert.equal(parseNameAddr(getHeader(ok, 'To') as string).params.get('tag'), '15776SIPpTag011');
    for (const name of ['sipp-uac-ack', 'sipp-uac-bye', 'sipp-uas-180-invite', 'sipp-uas-200-bye', 'baresip-ack', 'baresip-bye']) {
      parseMessage(fixture(name));
    }
  });
});

describe('parseHeaderSection', () => {
  test('reads header lines on their own', () => {
    const s = parseHeaderSection('Via: a, b\r\nX-A: 1\r\n  2\r\n');
    assert.deepEqual(s.headers, [{ name: 'Via', value: 'a' }, { name: 'Via', value: 'b' }, { name: 'X-A', value: '1 2' }]);
    assert.equal(s.error, undefined);
  });
});
