import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';
import { createRequest } from '../../src/sip/build.ts';
import { getHeader, getHeaders, parseVia } from '../../src/sip/headers.ts';
import type { ClientTransaction } from '../../src/sip/transaction/layer.ts';
import type { InviteClientTransaction } from '../../src/sip/transaction/invite-client.ts';
import type { Termination } from '../../src/sip/transaction/transaction.ts';
import { PEER, crlf, harness, isRequest, only, settle, times } from './transaction-harness.ts';

const sdp = crlf(['v=0', 'o=alice 2890844526 2890844526 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10',
  't=0 0', 'm=audio 49172 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '']);

/** The TU's INVITE (RFC 3261 §24.2 F1, with a Route set): no Via, the transaction layer adds it. */
function invite(): SipRequest {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@biloxi.example.com',
    headers: [
      ['Route', '<sip:p1.example.com;lr>'],
      ['Route', '<sip:p2.example.com;lr>'],
      ['Max-Forwards', '70'],
      ['From', 'Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl'],
      ['To', 'Bob <sip:bob@biloxi.example.com>'],
      ['Call-ID', '3848276298220188511@atlanta.example.com'],
      ['CSeq', '31862 INVITE'],
      ['Contact', '<sip:alice@192.0.2.10>'],
      ['Content-Type', 'application/sdp'],
    ],
    body: sdp,
  });
}

/** The peer's response to what we sent, as bytes on the wire. */
function reply(sent: SipRequest, status: number, reason: string, toTag?: string): string {
  const to = getHeader(sent, 'To')! + (toTag ? `;tag=${toTag}` : '');
  return crlf([
    `SIP/2.0 ${status} ${reason}`,
    `Via: ${getHeader(sent, 'Via')!}`,
    `From: ${getHeader(sent, 'From')!}`,
    `To: ${to}`,
    `Call-ID: ${getHeader(sent, 'Call-ID')!}`,
    `CSeq: ${getHeader(sent, 'CSeq')!}`,
    'Content-Length: 0',
    '',
    '',
  ]);
}

function recorder() {
  const responses: { status: number; at: number }[] = [];
  const ended: Termination[] = [];
  return { responses, ended };
}

async function start(protocol: 'udp' | 'tcp' = 'udp') {
  const h = await harness({ protocol });
  const seen = recorder();
  const tx = h.layer.createClientTransaction(invite(), { ...PEER, transport: protocol }, {
    response: (r: SipResponse) => seen.responses.push({ status: r.status, at: h.clock.now() }),
    terminated: (t: Termination) => seen.ended.push(t),
  }) as InviteClientTransaction;
  assert.equal(tx.kind, 'invite-client');
  return { ...h, tx, seen };
}

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  test('Timer A over UDP: retransmits at 500, 1500, 3500, 7500, 15500, 31500 ms; Timer B times out at 32 s', async () => {
    const { clock, mem, tx, seen, layer } = await start();
    assert.equal(tx.state, 'calling');
    clock.advance(31_999);
    assert.deepEqual(times(mem.sent, isRequest('INVITE')), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.equal(seen.ended.length, 0);
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(seen.ended, [{ reason: 'timeout' }]);
    assert.equal(layer.clientCount, 0);
    // Every retransmission is the same bytes, branch included.
    assert.ok(mem.sent.every((s) => s.bytes.equals(mem.sent[0]!.bytes)));
    assert.equal(clock.pending(), 0);
  });

  test('the Via gets a z9hG4bK branch and our sent-by; the INVITE goes to the destination', async () => {
    const { mem } = await start();
    const first = only(mem.sent);
    const via = parseVia(getHeader(first.msg, 'Via')!);
    assert.match(via.params.get('branch') ?? '', /^z9hG4bK[0-9a-f]{32}$/);
    assert.equal(`${via.transport} ${via.host}:${via.port}`, 'UDP 192.0.2.10:5060');
    assert.deepEqual(first.to, PEER);
  });

  test('a provisional stops retransmissions and Timer B (§17.1.1.2)', async () => {
    const { clock, mem, tx, seen } = await start();
    clock.advance(700);
    mem.inject(reply(mem.sent[0]!.msg as SipRequest, 100, 'Trying'));
    assert.equal(tx.state, 'proceeding');
    assert.deepEqual(seen.responses, [{ status: 100, at: 700 }]);
    clock.advance(120_000);
    assert.deepEqual(times(mem.sent, isRequest('INVITE')), [0, 500]);
    assert.equal(tx.state, 'proceeding');
    assert.equal(seen.ended.length, 0);
    mem.inject(reply(mem.sent[0]!.msg as SipRequest, 180, 'Ringing', 'b1'));
    assert.deepEqual(seen.responses.map((r) => r.status), [100, 180]);
  });

  test('300-699: ACK with the INVITE branch, Request-URI, Route and top Via; retransmissions re-ACKed, not passed up; Timer D 32 s', async () => {
    const { clock, mem, tx, seen, layer } = await start();
    const sentInvite = mem.sent[0]!.msg as SipRequest;
    mem.inject(reply(sentInvite, 180, 'Ringing', '8321234356'));
    clock.advance(2000);
    mem.inject(reply(sentInvite, 486, 'Busy Here', '8321234356'));
    assert.equal(tx.state, 'completed');
    const ack = only(mem.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK'));
    const a = ack.msg as SipRequest;
    assert.equal(a.uri, sentInvite.uri);
    assert.deepEqual(getHeaders(a, 'Via'), [getHeader(sentInvite, 'Via')]);
    assert.deepEqual(getHeaders(a, 'Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    assert.equal(getHeader(a, 'To'), 'Bob <sip:bob@biloxi.example.com>;tag=8321234356');
    assert.equal(getHeader(a, 'From'), getHeader(sentInvite, 'From'));
    assert.equal(getHeader(a, 'Call-ID'), getHeader(sentInvite, 'Call-ID'));
    assert.equal(getHeader(a, 'CSeq'), '31862 ACK');
    assert.equal(a.body.length, 0);
    assert.deepEqual(ack.to, PEER);
    assert.deepEqual(seen.responses.map((r) => r.status), [180, 486]);

    // A retransmitted 486 is answered with the same ACK and not shown to the TU.
    clock.advance(1000);
    mem.inject(reply(sentInvite, 486, 'Busy Here', '8321234356'));
    const acks = mem.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK');
    assert.equal(acks.length, 2);
    assert.ok(acks[1]!.bytes.equals(acks[0]!.bytes));
    assert.equal(seen.responses.length, 2);

    clock.advance(31_999 - 1000);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(seen.ended, [{ reason: 'completed' }]);
    assert.equal(layer.clientCount, 0);
  });

  test('2xx: Accepted (RFC 6026), retransmitted 2xx reach the TU, Timer M ends it; later 2xx are stray', async () => {
    const { clock, mem, tx, seen, rec } = await start();
    const sentInvite = mem.sent[0]!.msg as SipRequest;
    clock.advance(100);
    mem.inject(reply(sentInvite, 200, 'OK', 'a6c85cf'));
    assert.equal(tx.state, 'accepted');
    // The transaction does not ACK a 2xx: that is the TU's (§13.2.2.4).
    assert.equal(mem.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK').length, 0);
    clock.advance(500);
    mem.inject(reply(sentInvite, 200, 'OK', 'a6c85cf'));
    assert.deepEqual(seen.responses, [{ status: 200, at: 100 }, { status: 200, at: 600 }]);
    // No INVITE retransmission after the 2xx.
    assert.deepEqual(times(mem.sent, isRequest('INVITE')), [0]);
    clock.advance(64 * 500 - 500);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(seen.ended, [{ reason: 'completed' }]);
    mem.inject(reply(sentInvite, 200, 'OK', 'a6c85cf'));
    assert.equal(rec.strays.length, 1);
  });

  test('reliable transport: no Timer A, and Timer D is zero (§17.1.1.2)', async () => {
    const { clock, mem, tx, seen } = await start('tcp');
    clock.advance(10_000);
    assert.equal(mem.sent.length, 1);
    mem.inject(reply(mem.sent[0]!.msg as SipRequest, 603, 'Decline', 'x1'));
    assert.equal(only(mem.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK')).to.transport, 'tcp');
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(seen.ended, [{ reason: 'completed' }]);
  });

  test('reliable transport: Timer B still times out at 64·T1', async () => {
    const { clock, tx, seen } = await start('tcp');
    clock.advance(32_000);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(seen.ended, [{ reason: 'timeout' }]);
  });

  test('a transport error terminates the transaction and tells the TU why (§17.1.1.2)', async () => {
    const h = await harness();
    h.mem.failure = 'ENETUNREACH';
    const ended: Termination[] = [];
    const tx = h.layer.createClientTransaction(invite(), PEER, { response: () => {}, terminated: (t) => ended.push(t) });
    await settle();
    assert.equal(tx.state, 'terminated');
    assert.equal(ended[0]?.reason, 'transport-error');
    assert.equal(ended[0]?.error?.name, 'TransportError');
    assert.equal(h.layer.clientCount, 0);
    assert.equal(h.clock.pending(), 0);
  });

  test('buildCancel (§9.1): same Request-URI, Call-ID, From, To, CSeq number and top Via; its own transaction', async () => {
    const { mem, tx, layer, clock } = await start();
    const sentInvite = mem.sent[0]!.msg as SipRequest;
    mem.inject(reply(sentInvite, 180, 'Ringing', 'r1'));
    const cancel = tx.buildCancel();
    assert.equal(cancel.method, 'CANCEL');
    assert.equal(cancel.uri, sentInvite.uri);
    assert.deepEqual(getHeaders(cancel, 'Via'), [getHeader(sentInvite, 'Via')]);
    assert.equal(getHeader(cancel, 'To'), 'Bob <sip:bob@biloxi.example.com>');
    assert.equal(getHeader(cancel, 'CSeq'), '31862 CANCEL');
    assert.deepEqual(getHeaders(cancel, 'Route'), getHeaders(sentInvite, 'Route'));

    const statuses: number[] = [];
    const ctx: ClientTransaction = layer.createClientTransaction(cancel, PEER, { response: (r) => statuses.push(r.status) });
    assert.equal(ctx.kind, 'non-invite-client');
    const sentCancel = mem.sent.at(-1)!.msg as SipRequest;
    // Same branch as the INVITE, told apart by CSeq method (§17.1.3).
    assert.equal(getHeader(sentCancel, 'Via'), getHeader(sentInvite, 'Via'));
    mem.inject(reply(sentCancel, 200, 'OK', 'r1'));
    mem.inject(reply(sentInvite, 487, 'Request Terminated', 'r1'));
    assert.deepEqual(statuses, [200]);
    assert.equal(tx.state, 'completed');
    clock.advance(5000);
    assert.equal(ctx.state, 'terminated');
  });
});
