import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { SipRequest } from '../../src/sip/message.ts';
import { createRequest } from '../../src/sip/build.ts';
import { getHeader } from '../../src/sip/headers.ts';
import type { Termination } from '../../src/sip/transaction/transaction.ts';
import { PEER, crlf, harness, isRequest, settle, times } from './transaction-harness.ts';

/** RFC 3261 §24.2 F13: the BYE that ends the example call, as the TU hands it over. */
function bye(): SipRequest {
  return createRequest({
    method: 'BYE',
    uri: 'sip:alice@client.atlanta.example.com',
    headers: [
      ['Max-Forwards', '70'],
      ['From', 'Bob <sip:bob@biloxi.example.com>;tag=314159'],
      ['To', 'Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl'],
      ['Call-ID', '2xTb9vxSit55XU7p8@atlanta.example.com'],
      ['CSeq', '1 BYE'],
    ],
  });
}

function reply(sent: SipRequest, status: number, reason: string): string {
  return crlf([
    `SIP/2.0 ${status} ${reason}`,
    `Via: ${getHeader(sent, 'Via')!}`,
    `From: ${getHeader(sent, 'From')!}`,
    `To: ${getHeader(sent, 'To')!}`,
    `Call-ID: ${getHeader(sent, 'Call-ID')!}`,
    `CSeq: ${getHeader(sent, 'CSeq')!}`,
    'Content-Length: 0',
    '',
    '',
  ]);
}

async function start(protocol: 'udp' | 'tcp' = 'udp') {
  const h = await harness({ protocol });
  const responses: { status: number; at: number }[] = [];
  const ended: { termination: Termination; at: number }[] = [];
  const tx = h.layer.createClientTransaction(bye(), { ...PEER, transport: protocol }, {
    response: (r) => responses.push({ status: r.status, at: h.clock.now() }),
    terminated: (termination) => ended.push({ termination, at: h.clock.now() }),
  });
  assert.equal(tx.kind, 'non-invite-client');
  return { ...h, tx, responses, ended, sent: () => h.mem.sent[0]!.msg as SipRequest };
}

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  test('Timer E over UDP doubles up to T2 and stays there; Timer F times out at 64·T1', async () => {
    const { clock, mem, tx, ended, layer } = await start();
    clock.advance(31_999);
    assert.deepEqual(times(mem.sent, isRequest('BYE')), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(tx.state, 'trying');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(ended, [{ termination: { reason: 'timeout' }, at: 32_000 }]);
    assert.equal(layer.clientCount, 0);
    assert.equal(clock.pending(), 0);
  });

  test('in Proceeding, Timer E restarts at T2 (§17.1.2.2)', async () => {
    const { clock, mem, tx, responses, sent } = await start();
    clock.advance(600);
    mem.inject(reply(sent(), 100, 'Trying'));
    assert.equal(tx.state, 'proceeding');
    assert.deepEqual(responses, [{ status: 100, at: 600 }]);
    clock.advance(31_399);
    // 0, 500 in Trying; the E armed then (1000 ms) fires at 1500, after which every 4 s.
    assert.deepEqual(times(mem.sent, isRequest('BYE')), [0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
  });

  test('a final response completes it; Timer K (T4) absorbs retransmitted finals, then it ends', async () => {
    const { clock, mem, tx, responses, ended, sent, rec } = await start();
    clock.advance(200);
    mem.inject(reply(sent(), 200, 'OK'));
    assert.equal(tx.state, 'completed');
    clock.advance(2000);
    mem.inject(reply(sent(), 200, 'OK'));
    assert.deepEqual(responses, [{ status: 200, at: 200 }]);
    assert.equal(rec.strays.length, 0);
    assert.deepEqual(times(mem.sent, isRequest('BYE')), [0]);
    clock.advance(2999);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.deepEqual(ended, [{ termination: { reason: 'completed' }, at: 5200 }]);
    // After K, a late retransmission is a stray for the core.
    mem.inject(reply(sent(), 200, 'OK'));
    assert.equal(rec.strays.length, 1);
  });

  test('reliable transport: no Timer E, Timer K is zero', async () => {
    const { clock, mem, tx, ended, sent } = await start('tcp');
    clock.advance(20_000);
    assert.equal(mem.sent.length, 1);
    mem.inject(reply(sent(), 481, 'Call/Transaction Does Not Exist'));
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(ended, [{ termination: { reason: 'completed' }, at: 20_000 }]);
  });

  test('a transport error on a retransmission ends it with transport-error', async () => {
    const { clock, mem, tx, ended } = await start();
    clock.advance(500);
    mem.failure = 'EHOSTUNREACH';
    clock.advance(1000);
    await settle();
    assert.equal(tx.state, 'terminated');
    assert.equal(ended[0]?.termination.reason, 'transport-error');
    assert.equal(clock.pending(), 0);
  });

  test('a response for another method with the same branch does not match (§17.1.3)', async () => {
    const { mem, tx, responses, sent, rec } = await start();
    mem.inject(reply(sent(), 200, 'OK').replace('CSeq: 1 BYE', 'CSeq: 1 INFO'));
    assert.equal(tx.state, 'trying');
    assert.equal(responses.length, 0);
    assert.equal(rec.strays.length, 1);
  });
});
