/**
 * Two complete stacks (transport + transaction layers, real clock) talking over real
 * UDP and TCP sockets on 127.0.0.1: an INVITE answered 180/200 and ACKed, and a BYE.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, createResponse } from '../../src/sip/build.ts';
import { getHeader, parseNameAddr } from '../../src/sip/headers.ts';
import type { Endpoint, SipRequest, SipResponse } from '../../src/sip/message.ts';
import { TransportLayer } from '../../src/sip/transport/layer.ts';
import { TransactionLayer, type ServerTransaction } from '../../src/sip/transaction/layer.ts';
import type { Termination } from '../../src/sip/transaction/transaction.ts';

const HOST = '127.0.0.1';

async function stack(answer: (tx: ServerTransaction, request: SipRequest) => void) {
  const transport = await TransportLayer.listen({ host: HOST, port: 0 });
  const acks: SipRequest[] = [];
  const ended: Termination[] = [];
  const layer = new TransactionLayer({
    transport,
    user: {
      request: answer,
      ack: (ack) => acks.push(ack),
      strayResponse: () => {},
      serverTransactionTerminated: (_tx, t) => ended.push(t),
    },
  });
  return { transport, layer, acks, ended };
}

const stacks: { transport: TransportLayer; layer: TransactionLayer }[] = [];
after(async () => {
  for (const s of stacks) s.layer.close();
  await Promise.all(stacks.map((s) => s.transport.close()));
});

function invite(to: Endpoint): SipRequest {
  return createRequest({
    method: 'INVITE',
    uri: `sip:agent@${to.host}:${to.port}`,
    headers: [
      ['Max-Forwards', '70'],
      ['From', '<sip:4008001111@127.0.0.1>;tag=a1'],
      ['To', `<sip:agent@${to.host}>`],
      ['Call-ID', `e2e-${to.transport}@127.0.0.1`],
      ['CSeq', '1 INVITE'],
      ['Contact', '<sip:caller@127.0.0.1>'],
    ],
  });
}

function until<T>(fn: () => T | undefined, ms = 3000): Promise<T> {
  const stop = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const v = fn();
      if (v !== undefined) resolve(v);
      else if (Date.now() > stop) reject(new Error('timed out'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

for (const transport of ['udp', 'tcp'] as const) {
  describe(`INVITE and BYE over real ${transport.toUpperCase()} sockets`, () => {
    test('180, 200, ACK for the 2xx, then BYE/200', async () => {
      const uas = await stack((tx, request) => {
        if (tx.kind === 'invite-server') {
          tx.trying();
          tx.respond(createResponse(request, 180, 'Ringing', { toTag: 'b1' }));
          setTimeout(() => tx.respond(createResponse(request, 200, 'OK', { toTag: 'b1', headers: [['Contact', '<sip:agent@127.0.0.1>']] })), 20);
        } else tx.respond(createResponse(request, 200, 'OK'));
      });
      const uac = await stack(() => {});
      stacks.push(uas, uac);
      const dest: Endpoint = { transport, host: HOST, port: uas.transport.transport(transport)!.local.port };

      const statuses: number[] = [];
      let final: SipResponse | undefined;
      const tx = uac.layer.createClientTransaction(invite(dest), dest, {
        response: (r) => {
          statuses.push(r.status);
          if (r.status >= 200) final = r;
        },
      });
      const ok = await until(() => final);
      assert.deepEqual(statuses, [100, 180, 200]);
      assert.equal(tx.state, 'accepted');
      assert.equal(parseNameAddr(getHeader(ok, 'To')!).params.get('tag'), 'b1');

      // The UAC core's ACK for the 2xx (§13.2.2.4): a transaction of its own.
      const ack = createRequest({
        method: 'ACK',
        uri: 'sip:agent@127.0.0.1',
        headers: [
          ['Max-Forwards', '70'],
          ['From', getHeader(ok, 'From')!],
          ['To', getHeader(ok, 'To')!],
          ['Call-ID', getHeader(ok, 'Call-ID')!],
          ['CSeq', '1 ACK'],
        ],
      });
      await uac.layer.sendAck(ack, dest);
      const got = await until(() => uas.acks[0]);
      assert.equal(getHeader(got, 'CSeq'), '1 ACK');

      const byeStatuses: number[] = [];
      const ended: Termination[] = [];
      uac.layer.createClientTransaction(
        createRequest({
          method: 'BYE',
          uri: 'sip:agent@127.0.0.1',
          headers: [
            ['Max-Forwards', '70'],
            ['From', getHeader(ok, 'From')!],
            ['To', getHeader(ok, 'To')!],
            ['Call-ID', getHeader(ok, 'Call-ID')!],
            ['CSeq', '2 BYE'],
          ],
        }),
        dest,
        { response: (r) => byeStatuses.push(r.status), terminated: (t) => ended.push(t) },
      );
      await until(() => byeStatuses[0]);
      assert.deepEqual(byeStatuses, [200]);
      if (transport === 'tcp') {
        // Reliable: Timer K is zero, so the BYE transaction is already over.
        await until(() => ended[0]);
        assert.equal(ended[0]!.reason, 'completed');
      }
      // Nothing was retransmitted on a healthy loopback.
      assert.equal(uas.transport.stats.dropped + uac.transport.stats.dropped, 0);
    });
  });
}
