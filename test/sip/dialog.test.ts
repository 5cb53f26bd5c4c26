import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/sip/parser.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';
import { getHeader, getHeaders } from '../../src/sip/headers.ts';
import { acceptInDialogRequest, createInDialogRequest, createUacDialog, createUasDialog, requestDialogKey, keyOf } from '../../src/sip/dialog.ts';

function msg(text: string): SipRequest | SipResponse {
  return parseMessage(Buffer.from(text.replaceAll('\n', '\r\n')));
}

const INVITE = msg(`INVITE sip:4008001111@10.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK1
Record-Route: <sip:p1.example.com;lr>
Record-Route: <sip:p2.example.com;lr>
Max-Forwards: 68
From: "Caller" <sip:13800138000@carrier.example>;tag=abc
To: <sip:4008001111@10.0.0.1>
Call-ID: c1@carrier
CSeq: 101 INVITE
Contact: <sip:13800138000@10.0.0.9:5060>
Content-Length: 0

`) as SipRequest;

test('UAS dialog (§12.1.1): route set in Record-Route order, target from Contact, remote CSeq', () => {
  const d = createUasDialog(INVITE, 'xyz');
  assert.deepEqual(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.equal(d.remoteTarget, 'sip:13800138000@10.0.0.9:5060');
  assert.equal(d.remoteSeq, 101);
  assert.equal(d.localTag, 'xyz');
  assert.equal(d.remoteTag, 'abc');
  const bye = createInDialogRequest(d, 'BYE');
  assert.equal(bye.request.uri, 'sip:13800138000@10.0.0.9:5060');
  assert.deepEqual(getHeaders(bye.request, 'Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.equal(getHeader(bye.request, 'CSeq'), '1 BYE');
  assert.match(getHeader(bye.request, 'From')!, /tag=xyz/);
  assert.match(getHeader(bye.request, 'To')!, /tag=abc/);
  assert.equal(bye.dialog.localSeq, 1);
  // A request the peer sends in the dialog names the same key.
  const peerBye = msg(`BYE sip:4008001111@10.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK2
From: <sip:13800138000@carrier.example>;tag=abc
To: <sip:4008001111@10.0.0.1>;tag=xyz
Call-ID: c1@carrier
CSeq: 102 BYE
Content-Length: 0

`) as SipRequest;
  assert.equal(requestDialogKey(peerBye), keyOf(d));
  const ok = acceptInDialogRequest(d, peerBye);
  assert.ok(ok.ok && ok.dialog.remoteSeq === 102, 'BYE accepted and remote CSeq advanced');
  // §12.2.2: an older CSeq is out of order.
  const stale = acceptInDialogRequest(ok.ok ? ok.dialog : d, peerBye);
  assert.deepEqual(stale, { ok: false, status: 500, reason: 'CSeq out of order' });
});

test('UAC dialog (§12.1.2): route set reversed; strict route puts the target last (§12.2.1.1)', () => {
  const response = msg(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK9
Record-Route: <sip:p1.example.com;lr>
Record-Route: <sip:p2.example.com>
From: <sip:4008001111@10.0.0.1>;tag=ours
To: <sip:agent@10.0.0.5>;tag=theirs
Call-ID: out@surgeline
CSeq: 7 INVITE
Contact: <sip:agent@10.0.0.5:5062>
Content-Length: 0

`) as SipResponse;
  const request = msg(`INVITE sip:agent@10.0.0.5 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK9
From: <sip:4008001111@10.0.0.1>;tag=ours
To: <sip:agent@10.0.0.5>
Call-ID: out@surgeline
CSeq: 7 INVITE
Contact: <sip:surgeline@10.0.0.1>
Content-Length: 0

`) as SipRequest;
  const d = createUacDialog(request, response);
  assert.deepEqual(d.routeSet, ['<sip:p2.example.com>', '<sip:p1.example.com;lr>']);
  assert.equal(d.localSeq, 7);
  const ack = createInDialogRequest(d, 'ACK', { ackSeq: 7 });
  assert.equal(getHeader(ack.request, 'CSeq'), '7 ACK');
  // p2 is a strict router: it becomes the Request-URI and the remote target goes last.
  assert.equal(ack.request.uri, 'sip:p2.example.com');
  assert.deepEqual(getHeaders(ack.request, 'Route'), ['<sip:p1.example.com;lr>', '<sip:agent@10.0.0.5:5062>']);
  const bye = createInDialogRequest(d, 'BYE');
  assert.equal(getHeader(bye.request, 'CSeq'), '8 BYE');
});
