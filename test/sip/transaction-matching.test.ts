import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, createResponse } from '../../src/sip/build.ts';
import { getHeader, parseVia } from '../../src/sip/headers.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import type { Termination } from '../../src/sip/transaction/transaction.ts';
import { PEER, crlf, harness, isStatus, only, times } from './transaction-harness.ts';

function inviteText(via: string, opts: { cseq?: number; toTag?: string; method?: string } = {}): string {
  const method = opts.method ?? 'INVITE';
  return crlf([
    `${method} sip:bob@192.0.2.10 SIP/2.0`,
    `Via: ${via}`,
    'Max-Forwards: 70',
    'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    `To: Bob <sip:bob@biloxi.example.com>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    'Call-ID: 3848276298220188511@atlanta.example.com',
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ]);
}

const VIA = 'SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK74bf9';

describe('server transaction matching (RFC 3261 §17.2.3)', () => {
  test('same branch from a different sent-by is a different transaction', async () => {
    const h = await harness();
    h.mem.inject(inviteText(VIA));
    h.mem.inject(inviteText('SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bK74bf9'), { transport: 'udp', host: '192.0.2.21', port: 5060 });
    assert.equal(h.rec.requests.length, 2);
    assert.equal(h.layer.serverCount, 2);
    assert.equal(h.layer.stats.absorbed, 0);
  });

  test('CANCEL is its own transaction; findInviteServerTransaction finds the INVITE it cancels (§9.2)', async () => {
    const h = await harness();
    h.mem.inject(inviteText(VIA));
    const invite = only(h.rec.requests).tx;
    h.mem.inject(inviteText(VIA, { method: 'CANCEL' }));
    assert.equal(h.rec.requests.length, 2);
    const { tx: cancelTx, request: cancel } = h.rec.requests[1]!;
    assert.equal(cancelTx.kind, 'non-invite-server');
    assert.equal(h.layer.findInviteServerTransaction(cancel), invite);
    // The TU's §9.2 answer: 200 to the CANCEL, 487 to the INVITE — on two transactions.
    cancelTx.respond(createResponse(cancel, 200, 'OK', { toTag: 'u1' }));
    invite.respond(createResponse(invite.request, 487, 'Request Terminated', { toTag: 'u1' }));
    assert.deepEqual(h.mem.sent.map((s) => `${s.msg.kind === 'response' ? s.msg.status : ''} ${getHeader(s.msg, 'CSeq')}`), [
      '200 1 CANCEL',
      '487 1 INVITE',
    ]);
    // A CANCEL for an unknown INVITE finds nothing (the TU answers 481).
    h.mem.inject(inviteText('SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKother', { method: 'CANCEL' }));
    assert.equal(h.layer.findInviteServerTransaction(h.rec.requests[2]!.request), undefined);
  });

  test('ACK for a 2xx (new branch) and an ACK matching nothing go to the TU', async () => {
    const h = await harness();
    h.mem.inject(inviteText('SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKstray', { method: 'ACK', toTag: 'zz' }));
    assert.equal(h.rec.acks.length, 1);
    assert.equal(h.rec.requests.length, 0);
    assert.equal(h.layer.serverCount, 0);
  });

  test('RFC 2543 peer (no magic cookie): retransmissions matched by Request-URI, tags, Call-ID, CSeq, top Via', async () => {
    const h = await harness();
    const via2543 = 'SIP/2.0/UDP 192.0.2.20:5060';
    h.mem.inject(inviteText(via2543));
    const tx = only(h.rec.requests).tx;
    h.mem.inject(inviteText(via2543));
    assert.equal(h.rec.requests.length, 1);
    assert.equal(h.layer.stats.absorbed, 1);
    // A different CSeq is a new request.
    h.mem.inject(inviteText(via2543, { cseq: 2 }));
    assert.equal(h.rec.requests.length, 2);

    tx.respond(createResponse(tx.request, 486, 'Busy Here', { toTag: 'our-tag' }));
    // An ACK whose To tag is not our response's is not this transaction's.
    h.mem.inject(inviteText(via2543, { method: 'ACK', toTag: 'other' }));
    assert.equal(h.rec.acks.length, 1);
    assert.equal(tx.state, 'completed');
    h.mem.inject(inviteText(via2543, { method: 'ACK', toTag: 'our-tag' }));
    assert.equal(tx.state, 'confirmed');
    assert.equal(h.rec.acks.length, 1);
    // G stopped at the ACK.
    h.clock.advance(10_000);
    assert.deepEqual(times(h.mem.sent, isStatus(486)), [0]);
  });

  test('RFC 2543 CANCEL finds its INVITE', async () => {
    const h = await harness();
    h.mem.inject(inviteText('SIP/2.0/UDP 192.0.2.20:5060;branch=1234'));
    const invite = only(h.rec.requests).tx;
    h.mem.inject(inviteText('SIP/2.0/UDP 192.0.2.20:5060;branch=1234', { method: 'CANCEL' }));
    assert.equal(h.layer.findInviteServerTransaction(h.rec.requests[1]!.request), invite);
  });

  test('a TU that throws does not break the layer', async () => {
    const h = await harness();
    h.whenRequest(() => {
      throw new Error('TU bug');
    });
    h.mem.inject(inviteText(VIA));
    h.mem.inject(inviteText(VIA));
    assert.equal(h.rec.requests.length, 1);
    assert.equal(h.layer.stats.absorbed, 1);
  });
});

describe('client side', () => {
  function options(): SipRequest {
    return createRequest({
      method: 'OPTIONS',
      uri: 'sip:carol@chicago.example.com',
      headers: [
        ['Max-Forwards', '70'],
        ['To', '<sip:carol@chicago.example.com>'],
        ['From', 'Alice <sip:alice@atlanta.example.com>;tag=1928301774'],
        ['Call-ID', 'a84b4c76e66710'],
        ['CSeq', '63104 OPTIONS'],
      ],
    });
  }

  test('each client transaction gets its own branch; a TU-supplied RFC 3261 branch is kept', async () => {
    const h = await harness();
    h.layer.createClientTransaction(options(), PEER, { response: () => {} });
    h.layer.createClientTransaction(options(), PEER, { response: () => {} });
    const withVia = { ...options(), headers: [{ name: 'Via', value: 'SIP/2.0/UDP x.invalid;branch=z9hG4bKmine' }, ...options().headers] };
    h.layer.createClientTransaction(withVia, PEER, { response: () => {} });
    const branches = h.mem.sent.map((s) => parseVia(getHeader(s.msg, 'Via')!).params.get('branch'));
    assert.equal(new Set(branches).size, 3);
    assert.equal(branches[2], 'z9hG4bKmine');
    assert.equal(getHeader(h.mem.sent[2]!.msg, 'Via'), 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKmine');
    assert.equal(h.layer.clientCount, 3);
  });

  test('sendAck puts a fresh branch on the ACK for a 2xx (§13.2.2.4) and resend repeats its bytes', async () => {
    const h = await harness();
    const ack = createRequest({
      method: 'ACK',
      uri: 'sip:bob@192.0.2.20',
      headers: [
        ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9'],
        ['Max-Forwards', '70'],
        ['From', 'Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl'],
        ['To', 'Bob <sip:bob@biloxi.example.com>;tag=8321234356'],
        ['Call-ID', '3848276298220188511@atlanta.example.com'],
        ['CSeq', '1 ACK'],
      ],
    });
    const out = await h.layer.sendAck(ack, PEER);
    const branch = parseVia(getHeader(out.message, 'Via')!).params.get('branch');
    assert.notEqual(branch, 'z9hG4bK74bf9');
    assert.match(branch ?? '', /^z9hG4bK/);
    await h.layer.resend(out);
    assert.equal(h.mem.sent.length, 2);
    assert.ok(h.mem.sent[1]!.bytes.equals(h.mem.sent[0]!.bytes));
    assert.equal(h.layer.clientCount, 0);
    assert.throws(() => h.layer.createClientTransaction(ack, PEER, { response: () => {} }), /ACK is not a transaction/);
  });

  test('close() ends every transaction with reason closed and leaves no timers', async () => {
    const h = await harness();
    const ended: Termination[] = [];
    h.layer.createClientTransaction(options(), PEER, { response: () => {}, terminated: (t) => ended.push(t) });
    h.mem.inject(inviteText(VIA));
    h.layer.close();
    assert.deepEqual(ended, [{ reason: 'closed' }]);
    assert.deepEqual(only(h.rec.serverEnded).termination, { reason: 'closed' });
    assert.equal(h.layer.clientCount + h.layer.serverCount, 0);
    assert.equal(h.clock.pending(), 0);
  });
});
