/**
 * Dialled-number candidates from INVITEs as they arrive on the wire (bytes through the
 * real parser): a plain trunk INVITE, a retargeted Request-URI with the number in To, an
 * IMS INVITE with P-Called-Party-ID, a forwarded call with Diversion (RFC 5806), tel URIs
 * with visual separators and parameters, and requests that carry no number at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/sip/parser.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { dialledCandidates, numberOfUri } from '../../src/call/dialled.ts';

function invite(requestUri: string, headers: string[]): SipRequest {
  const text = [
    `INVITE ${requestUri} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'From: "Caller" <sip:0912345678@192.0.2.10>;tag=1928301774',
    'Call-ID: a84b4c76e66710@192.0.2.10',
    'CSeq: 314159 INVITE',
    'Contact: <sip:0912345678@192.0.2.10>',
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const msg = parseMessage(Buffer.from(text, 'utf8'));
  assert.equal(msg.kind, 'request', 'the text parses as a request');
  return msg as SipRequest;
}

test('a trunk INVITE: the Request-URI user first, the same number in To is not repeated', () => {
  const req = invite('sip:4008001111@198.51.100.1:5060', ['To: <sip:4008001111@198.51.100.1>']);
  assert.deepEqual(dialledCandidates(req), [{ source: 'request-uri', number: '4008001111' }]);
});

test('a retargeted Request-URI (our contact, no number) leaves the To number', () => {
  const req = invite('sip:surgeline@198.51.100.1:5060;transport=udp', ['To: "E購網" <sip:4008001111@carrier.example>']);
  assert.deepEqual(dialledCandidates(req), [{ source: 'to', number: '4008001111' }]);
});

test('P-Called-Party-ID (IMS core) after the Request-URI and To', () => {
  const req = invite('sip:+886223456789@ims.example;user=phone', [
    'To: <tel:+886-2-2345-6789>',
    'P-Called-Party-ID: <sip:4008002222@ims.example;user=phone>',
  ]);
  assert.deepEqual(dialledCandidates(req), [
    { source: 'request-uri', number: '+886223456789' },
    { source: 'p-called-party-id', number: '4008002222' },
  ]);
});

test('Diversion: the first (most recent) entry only, in a list header and across header lines', () => {
  const req = invite('sip:0223456789@198.51.100.1', [
    'To: <sip:0223456789@198.51.100.1>',
    'Diversion: <sip:4008001111@carrier.example>;reason=unconditional;counter=1, <sip:4008009999@carrier.example>;reason=user-busy',
    'Diversion: <sip:4008008888@carrier.example>;reason=no-answer',
  ]);
  assert.deepEqual(dialledCandidates(req), [
    { source: 'request-uri', number: '0223456789' },
    { source: 'diversion', number: '4008001111' },
  ]);
});

test('tel Request-URI with separators and parameters; compact To (t:) is read', () => {
  const req = invite('tel:+886-2-(2345)-6789;phone-context=+886', ['t: <sip:4008002222;isub=12@example.com;user=phone>']);
  assert.deepEqual(dialledCandidates(req), [
    { source: 'request-uri', number: '+886223456789' },
    { source: 'to', number: '4008002222' },
  ]);
});

test('no number anywhere: no candidates (the caller gets 404); malformed headers are skipped', () => {
  const req = invite('sip:sales@example.com', ['To: <sip:sales@example.com>', 'P-Called-Party-ID: not a uri <', 'Diversion: <mailto:x@example.com>']);
  assert.deepEqual(dialledCandidates(req), []);
});

test('numberOfUri: user parts that are not numbers, too short or too long', () => {
  assert.equal(numberOfUri('sip:4008001111@h'), '4008001111');
  assert.equal(numberOfUri('sip:alice@h'), undefined);
  assert.equal(numberOfUri('sip:1@h'), undefined, 'one digit is not a dialled number');
  assert.equal(numberOfUri(`sip:${'1'.repeat(21)}@h`), undefined);
  assert.equal(numberOfUri('sip:h.example.com'), undefined, 'no user part');
  assert.equal(numberOfUri('sip:%34%30%30%38%30%30%31%31%31%31@h'), '4008001111', 'escaped digits are unescaped (§19.1.4)');
});
