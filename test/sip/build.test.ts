import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequest, createResponse, reasonPhrase } from '../../src/sip/build.ts';
import { parseMessage, SipParseError } from '../../src/sip/parser.ts';
import { serializeMessage } from '../../src/sip/serialize.ts';
import { getHeader, getHeaders, parseNameAddr } from '../../src/sip/headers.ts';
import { parseUri } from '../../src/sip/uri.ts';
import type { SipRequest } from '../../src/sip/message.ts';

const load = (path: string): Buffer => readFileSync(new URL(`../fixtures/${path}.sip`, import.meta.url));
const invite = parseMessage(load('sip/sipp-uac-invite')) as SipRequest;

describe('createResponse (RFC 3261 §8.2.6)', () => {
  test('copies Via, From, To, Call-ID, CSeq in order, adds the To tag, and Content-Length', () => {
    const r = createResponse(invite, 180, undefined, { toTag: 'abc', headers: [['Contact', '<sip:uas@127.0.0.1>']] });
    assert.equal(r.status, 180);
    assert.equal(r.reason, 'Ringing');
    assert.deepEqual(r.headers, [
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-15064-1-0' },
      { name: 'From', value: 'sipp <sip:sipp@127.0.0.1:5060>;tag=15064SIPpTag001' },
      { name: 'To', value: 'service <sip:service@127.0.0.1:38954>;tag=abc' },
      { name: 'Call-ID', value: '1-15064@127.0.0.1' },
      { name: 'CSeq', value: '1 INVITE' },
      { name: 'Contact', value: '<sip:uas@127.0.0.1>' },
      { name: 'Content-Length', value: '0' },
    ]);
    assert.deepEqual(
      serializeMessage(r).toString(),
      'SIP/2.0 180 Ringing\r\n' +
        'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-15064-1-0\r\n' +
        'From: sipp <sip:sipp@127.0.0.1:5060>;tag=15064SIPpTag001\r\n' +
        'To: service <sip:service@127.0.0.1:38954>;tag=abc\r\n' +
        'Call-ID: 1-15064@127.0.0.1\r\n' +
        'CSeq: 1 INVITE\r\n' +
        'Contact: <sip:uas@127.0.0.1>\r\n' +
        'Content-Length: 0\r\n\r\n',
    );
  });

  test('all Vias are copied in order; an existing To tag is kept', () => {
    const bye = parseMessage(load('rfc5118/mult-ip-in-header')) as SipRequest;
    const r = createResponse(bye, 200, undefined, { toTag: 'ignored' });
    assert.deepEqual(getHeaders(r, 'Via'), getHeaders(bye, 'Via'));
    assert.equal(getHeader(r, 'To'), 'sip:user@example.net;tag=9817--94');
  });

  test('100 Trying copies Timestamp and has no tag unless asked (§8.2.6.1)', () => {
    const withTs = { ...invite, headers: [...invite.headers, { name: 'Timestamp', value: '54' }] };
    const r = createResponse(withTs, 100);
    assert.equal(getHeader(r, 'Timestamp'), '54');
    assert.equal(parseNameAddr(getHeader(r, 'To') as string).params.get('tag'), undefined);
    assert.equal(getHeader(createResponse(withTs, 200), 'Timestamp'), undefined);
  });

  test('Record-Route is copied into dialog-creating responses only (§12.1.1)', () => {
    const rr = { ...invite, headers: [...invite.headers, { name: 'Record-Route', value: '<sip:p1;lr>' }, { name: 'Record-Route', value: '<sip:p2;lr>' }] };
    assert.deepEqual(getHeaders(createResponse(rr, 200, 'OK', { toTag: 't' }), 'Record-Route'), ['<sip:p1;lr>', '<sip:p2;lr>']);
    assert.deepEqual(getHeaders(createResponse(rr, 486), 'Record-Route'), []);
    assert.deepEqual(getHeaders(createResponse({ ...rr, method: 'OPTIONS' }, 200), 'Record-Route'), []);
  });

  test('a body sets Content-Length; a custom reason is used', () => {
    const r = createResponse(invite, 200, 'Fine', { toTag: 't', headers: [['c', 'application/sdp']], body: 'v=0\r\n' });
    assert.equal(r.reason, 'Fine');
    assert.equal(getHeader(r, 'Content-Type'), 'application/sdp');
    assert.equal(getHeader(r, 'Content-Length'), '5');
  });

  test('a 400 can be built from the partial of a rejected request, and parses back', () => {
    let partial: SipRequest | undefined;
    try {
      parseMessage(load('rfc4475/insuf'));
    } catch (e) {
      assert.ok(e instanceof SipParseError);
      partial = e.partial;
    }
    assert.ok(partial);
    const r = createResponse(partial, 400, 'missing To');
    assert.deepEqual(r.headers.map((h) => h.name), ['Via', 'CSeq', 'Content-Length']);
    const quotbal = (() => {
      try {
        parseMessage(load('rfc4475/quotbal'));
      } catch (e) {
        return (e as SipParseError).partial;
      }
      return undefined;
    })();
    assert.ok(quotbal);
    const r2 = createResponse(quotbal, 400, 'bad To', { toTag: 'x' });
    assert.equal(getHeader(r2, 'To'), '"Mr. J. User <sip:j.user@example.com>', 'a malformed To is copied untouched');
  });

  test('status out of range is a programming error', () => {
    assert.throws(() => createResponse(invite, 99));
    assert.throws(() => createResponse(invite, 700));
  });

  test('reason phrases', () => {
    assert.equal(reasonPhrase(100), 'Trying');
    assert.equal(reasonPhrase(183), 'Session Progress');
    assert.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
    assert.equal(reasonPhrase(487), 'Request Terminated');
    assert.equal(reasonPhrase(503), 'Service Unavailable');
    assert.equal(reasonPhrase(513), 'Message Too Large');
    assert.equal(reasonPhrase(299), '');
  });
});

describe('createRequest', () => {
  test('canonicalises names, takes a Uri value, adds Content-Length and serializes byte-exact', () => {
    const r = createRequest({
      method: 'MESSAGE',
      uri: parseUri('sip:agent@[2001:db8::5]:5070;transport=tcp'),
      headers: [
        ['v', 'SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKm1'],
        ['max-forwards', '70'],
        { name: 'f', value: '<sip:q@example.com>;tag=1' },
        ['t', '<sip:agent@example.com>'],
        ['i', 'm1@192.0.2.9'],
        ['cseq', '1 MESSAGE'],
        ['c', 'text/plain;charset=utf-8'],
      ],
      body: '新来电',
    });
    assert.equal(r.uri, 'sip:agent@[2001:db8::5]:5070;transport=tcp');
    assert.equal(
      serializeMessage(r).toString('utf8'),
      'MESSAGE sip:agent@[2001:db8::5]:5070;transport=tcp SIP/2.0\r\n' +
        'Via: SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKm1\r\n' +
        'Max-Forwards: 70\r\n' +
        'From: <sip:q@example.com>;tag=1\r\n' +
        'To: <sip:agent@example.com>\r\n' +
        'Call-ID: m1@192.0.2.9\r\n' +
        'CSeq: 1 MESSAGE\r\n' +
        'Content-Type: text/plain;charset=utf-8\r\n' +
        'Content-Length: 9\r\n' +
        '\r\n' +
        '新来电',
    );
    assert.deepEqual(parseMessage(serializeMessage(r)), r);
  });

  test('a bad method is refused', () => {
    assert.throws(() => createRequest({ method: 'IN VITE', uri: 'sip:a@b' }));
  });
});
