import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../../src/sip/build.ts';
import { getHeader } from '../../src/sip/headers.ts';
import type { InviteServerTransaction } from '../../src/sip/transaction/invite-server.ts';
import { PEER, crlf, harness, isStatus, only, settle, times } from './transaction-harness.ts';

const sdp = crlf(['v=0', 'o=alice 2890844526 2890844526 IN IP4 192.0.2.20', 's=-', 'c=IN IP4 192.0.2.20',
  't=0 0', 'm=audio 49172 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '']);

function inviteFrom(transport: 'UDP' | 'TCP' = 'UDP'): string {
  return crlf([
    'INVITE sip:bob@192.0.2.10 SIP/2.0',
    `Via: SIP/2.0/${transport} 192.0.2.20:5060;branch=z9hG4bK74bf9`,
    'Max-Forwards: 70',
    'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    'To: Bob <sip:bob@biloxi.example.com>',
    'Call-ID: 3848276298220188511@atlanta.example.com',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@192.0.2.20>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ]);
}

/** §17.1.1.3 ACK for a non-2xx: the INVITE's branch, our To tag. */
function ackNon2xx(toTag: string, transport: 'UDP' | 'TCP' = 'UDP'): string {
  return crlf([
    'ACK sip:bob@192.0.2.10 SIP/2.0',
    `Via: SIP/2.0/${transport} 192.0.2.20:5060;branch=z9hG4bK74bf9`,
    'Max-Forwards: 70',
    'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    `To: Bob <sip:bob@biloxi.example.com>;tag=${toTag}`,
    'Call-ID: 3848276298220188511@atlanta.example.com',
    'CSeq: 1 ACK',
    'Content-Length: 0',
    '',
    '',
  ]);
}

/** §13.2.2.4 ACK for a 2xx: a new transaction, new branch, sent to the Contact. */
function ack2xx(toTag: string): string {
  return ackNon2xx(toTag).replace('branch=z9hG4bK74bf9', 'branch=z9hG4bKnashds7').replace('ACK sip:bob@192.0.2.10', 'ACK sip:bob@192.0.2.10;transport=udp');
}

async function start(protocol: 'udp' | 'tcp' = 'udp') {
  const h = await harness({ protocol });
  h.mem.inject(inviteFrom(protocol === 'udp' ? 'UDP' : 'TCP'));
  const { tx, request } = only(h.rec.requests);
  assert.equal(tx.kind, 'invite-server');
  return { ...h, tx: tx as InviteServerTransaction, request };
}

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  test('sends 100 Trying itself when the TU is silent for 200 ms', async () => {
    const { clock, mem, tx } = await start();
    clock.advance(199);
    assert.equal(mem.sent.length, 0);
    clock.advance(1);
    const trying = only(mem.sent);
    assert.equal(trying.msg.kind === 'response' && trying.msg.status, 100);
    assert.deepEqual(trying.to, PEER);
    // The TU's own 100 afterwards is idempotent: accepted, not sent again.
    assert.equal(tx.respond(createResponse(tx.request, 100)), true);
    tx.trying();
    assert.equal(mem.sent.length, 1);
  });

  test('no automatic 100 when the TU answered first; a 100 from the TU is sent once', async () => {
    const { clock, mem, tx } = await start();
    tx.trying();
    tx.trying();
    clock.advance(50);
    assert.equal(tx.respond(createResponse(tx.request, 180, 'Ringing', { toTag: 'b0' })), true);
    clock.advance(5000);
    assert.deepEqual(mem.sent.map((s) => (s.msg.kind === 'response' ? s.msg.status : 0)), [100, 180]);
  });

  test('a retransmitted INVITE is absorbed and answered with the last provisional (§17.2.1)', async () => {
    const { clock, mem, tx, rec, layer } = await start();
    mem.inject(inviteFrom()); // before any response: nothing to re-send
    assert.equal(mem.sent.length, 0);
    tx.respond(createResponse(tx.request, 180, 'Ringing', { toTag: 'b1' }));
    clock.advance(500);
    mem.inject(inviteFrom());
    assert.equal(rec.requests.length, 1);
    assert.equal(layer.stats.absorbed, 2);
    const sent = mem.sent.map((s) => s.bytes.toString());
    assert.equal(sent.length, 2);
    assert.equal(sent[1], sent[0]);
  });

  test('300-699: Timer G retransmits at 500, 1500, 3500, 7500, 11500 … until Timer H at 32 s, which the TU hears about', async () => {
    const { clock, mem, tx, rec } = await start();
    tx.respond(createResponse(tx.request, 486, 'Busy Here', { toTag: 'b2' }));
    assert.equal(tx.state, 'completed');
    clock.advance(31_999);
    assert.deepEqual(times(mem.sent, isStatus(486)), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(rec.serverEnded.length, 0);
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(only(rec.serverEnded).termination, { reason: 'timeout' });
    assert.equal(clock.pending(), 0);
  });

  test('ACK → Confirmed: G stops, ACK retransmissions are absorbed, Timer I (T4) ends it', async () => {
    const { clock, mem, tx, rec, layer } = await start();
    tx.respond(createResponse(tx.request, 404, 'Not Found', { toTag: 'b3' }));
    clock.advance(600);
    mem.inject(ackNon2xx('b3'));
    assert.equal(tx.state, 'confirmed');
    mem.inject(ackNon2xx('b3'));
    mem.inject(inviteFrom()); // a late INVITE retransmission is absorbed too
    clock.advance(4999);
    assert.equal(tx.state, 'confirmed');
    assert.deepEqual(times(mem.sent, isStatus(404)), [0, 500]);
    assert.equal(rec.acks.length, 0);
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(only(rec.serverEnded).termination, { reason: 'completed' });
    assert.equal(layer.serverCount, 0);
  });

  test('a retransmitted INVITE in Completed gets the final response again', async () => {
    const { clock, mem, tx } = await start();
    tx.respond(createResponse(tx.request, 480, 'Temporarily Unavailable', { toTag: 'b4' }));
    clock.advance(100);
    mem.inject(inviteFrom());
    assert.deepEqual(times(mem.sent, isStatus(480)), [0, 100]);
  });

  test('2xx → Accepted (RFC 6026): INVITE retransmissions absorbed silently, 2xx ACK to the TU, TU 2xx retransmissions pass, Timer L', async () => {
    const { clock, mem, tx, rec, layer } = await start();
    const ok = createResponse(tx.request, 200, 'OK', { toTag: 'b5', headers: [['Contact', '<sip:bob@192.0.2.10>']] });
    assert.equal(tx.respond(ok), true);
    assert.equal(tx.state, 'accepted');
    clock.advance(500);
    mem.inject(inviteFrom());
    assert.equal(rec.requests.length, 1);
    assert.equal(tx.respond(ok), true); // the TU's §13.3.1.4 retransmission
    assert.equal(tx.respond(createResponse(tx.request, 486, 'Busy Here', { toTag: 'b5' })), false);
    assert.deepEqual(times(mem.sent, isStatus(200)), [0, 500]);
    assert.equal(mem.sent.length, 2);
    mem.inject(ack2xx('b5'));
    assert.equal(only(rec.acks).method, 'ACK');
    assert.equal(tx.state, 'accepted');
    clock.advance(64 * 500 - 500);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(only(rec.serverEnded).termination, { reason: 'completed' });
    assert.equal(layer.serverCount, 0);
  });

  test('reliable transport: no Timer G; Timer I is zero', async () => {
    const { clock, mem, tx, rec } = await start('tcp');
    tx.respond(createResponse(tx.request, 486, 'Busy Here', { toTag: 'b6' }));
    clock.advance(10_000);
    assert.equal(mem.sent.length, 1);
    assert.equal(mem.sent[0]!.to.transport, 'tcp');
    mem.inject(ackNon2xx('b6', 'TCP'));
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(only(rec.serverEnded).termination, { reason: 'completed' });
  });

  test('reliable transport: Timer H still fires at 64·T1 without an ACK', async () => {
    const { clock, tx, rec } = await start('tcp');
    tx.respond(createResponse(tx.request, 486, 'Busy Here', { toTag: 'b7' }));
    clock.advance(32_000);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(only(rec.serverEnded).termination, { reason: 'timeout' });
  });

  test('respond after the final response, or after the end, is refused', async () => {
    const { tx, clock } = await start();
    assert.equal(tx.respond(createResponse(tx.request, 603, 'Decline', { toTag: 'b8' })), true);
    assert.equal(tx.respond(createResponse(tx.request, 200, 'OK', { toTag: 'b8' })), false);
    clock.advance(40_000);
    assert.equal(tx.state, 'terminated');
    assert.equal(tx.respond(createResponse(tx.request, 200, 'OK', { toTag: 'b8' })), false);
  });

  test('a transport error sending a response ends it with transport-error (§17.2.4)', async () => {
    const { mem, tx, rec } = await start();
    mem.failure = 'ECONNRESET';
    tx.respond(createResponse(tx.request, 180, 'Ringing', { toTag: 'b9' }));
    await settle();
    assert.equal(tx.state, 'terminated');
    assert.equal(only(rec.serverEnded).termination.reason, 'transport-error');
  });

  test('responses carry the request Via, received added when needed (§18.2.1)', async () => {
    const h = await harness();
    // Sent-by says a name; the packet came from PEER: the Via gains received, the response goes to PEER.
    h.mem.inject(inviteFrom().replace('192.0.2.20:5060;branch', 'pc33.atlanta.example.com;branch'));
    const { tx } = only(h.rec.requests);
    tx.respond(createResponse(tx.request, 180, 'Ringing', { toTag: 'c1' }));
    const sent = only(h.mem.sent);
    assert.equal(getHeader(sent.msg, 'Via'), 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9;received=192.0.2.20');
    assert.deepEqual(sent.to, { transport: 'udp', host: '192.0.2.20', port: 5060 });
  });
});
