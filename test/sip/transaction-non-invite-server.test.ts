import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../../src/sip/build.ts';
import type { NonInviteServerTransaction } from '../../src/sip/transaction/non-invite-server.ts';
import { crlf, harness, isStatus, only, times } from './transaction-harness.ts';

/** RFC 3261 §24.1-style REGISTER from Bob's phone. */
function register(transport: 'UDP' | 'TCP' = 'UDP'): string {
  return crlf([
    'REGISTER sip:registrar.biloxi.example.com SIP/2.0',
    `Via: SIP/2.0/${transport} 192.0.2.20:5060;branch=z9hG4bKnashds7`,
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Bob <sip:bob@biloxi.example.com>;tag=456248',
    'Call-ID: 843817637684230@998sdasdh09',
    'CSeq: 1826 REGISTER',
    'Contact: <sip:bob@192.0.2.20>',
    'Expires: 7200',
    'Content-Length: 0',
    '',
    '',
  ]);
}

async function start(protocol: 'udp' | 'tcp' = 'udp') {
  const h = await harness({ protocol });
  h.mem.inject(register(protocol === 'udp' ? 'UDP' : 'TCP'));
  const { tx } = only(h.rec.requests);
  assert.equal(tx.kind, 'non-invite-server');
  return { ...h, tx: tx as NonInviteServerTransaction };
}

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  test('Trying: retransmissions are absorbed without an answer; no automatic 100', async () => {
    const { clock, mem, tx, rec, layer } = await start();
    clock.advance(500);
    mem.inject(register());
    clock.advance(10_000);
    assert.equal(mem.sent.length, 0);
    assert.equal(rec.requests.length, 1);
    assert.equal(layer.stats.absorbed, 1);
    assert.equal(tx.state, 'trying');
  });

  test('Proceeding: a retransmission gets the last provisional again', async () => {
    const { mem, tx } = await start();
    tx.respond(createResponse(tx.request, 100));
    assert.equal(tx.state, 'proceeding');
    mem.inject(register());
    assert.deepEqual(times(mem.sent, isStatus(100)), [0, 0]);
  });

  test('final → Completed: retransmissions get the final again, more finals are refused, Timer J (64·T1) ends it', async () => {
    const { clock, mem, tx, rec, layer } = await start();
    clock.advance(100);
    assert.equal(tx.respond(createResponse(tx.request, 200, 'OK', { toTag: '2493fd' })), true);
    assert.equal(tx.state, 'completed');
    assert.equal(tx.respond(createResponse(tx.request, 500, 'Server Internal Error')), false);
    clock.advance(1000);
    mem.inject(register());
    assert.deepEqual(times(mem.sent, isStatus(200)), [100, 1100]);
    assert.ok(mem.sent[1]!.bytes.equals(mem.sent[0]!.bytes));
    clock.advance(32_000 - 1000 - 1);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(only(rec.serverEnded).termination, { reason: 'completed' });
    assert.equal(only(rec.serverEnded).at, 32_100);
    assert.equal(layer.serverCount, 0);
    // After J the same request is new to the layer.
    mem.inject(register());
    assert.equal(rec.requests.length, 2);
  });

  test('reliable transport: Timer J is zero', async () => {
    const { tx, rec, layer } = await start('tcp');
    tx.respond(createResponse(tx.request, 200, 'OK', { toTag: 'x' }));
    assert.equal(tx.state, 'terminated');
    assert.equal(only(rec.serverEnded).termination.reason, 'completed');
    assert.equal(layer.serverCount, 0);
  });
});
