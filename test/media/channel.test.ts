import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, Worker } from 'node:worker_threads';
import { z } from 'zod';
import {
  Channel,
  ChannelServer,
  MediaError,
  MediaProtocolError,
  MediaRequestError,
  MediaRequestTimeoutError,
  MediaWorkerDiedError,
  MediaChannelClosedError,
  defineProtocol,
} from '../../src/media/channel.ts';
import { ManualClock } from '../../src/clock.ts';

const proto = defineProtocol({
  requests: {
    add: { request: z.object({ a: z.number(), b: z.number() }), response: z.object({ sum: z.number() }) },
    slow: { request: z.object({ ms: z.number() }), response: z.literal('ok') },
    fail: { request: z.object({ code: z.string() }), response: z.null() },
    lie: { request: z.object({}), response: z.object({ n: z.number() }) },
  },
  events: {
    tick: z.object({ n: z.number().int() }),
  },
});

function pair() {
  const { port1, port2 } = new MessageChannel();
  const errors: MediaProtocolError[] = [];
  const client = new Channel(port1, proto, { name: 'test worker', onProtocolError: (e) => errors.push(e) });
  const server = new ChannelServer(port2, proto, {
    add: ({ a, b }) => ({ sum: a + b }),
    slow: ({ ms }) => new Promise<'ok'>((r) => setTimeout(() => r('ok'), ms)),
    fail: ({ code }) => {
      throw new MediaError(code, `failed with ${code}`);
    },
    // A handler that breaks its own response schema: the client must not trust it.
    lie: () => ({ n: 'three' }) as unknown as { n: number },
  });
  const done = () => {
    client.close();
    port1.close();
    port2.close();
  };
  return { client, server, errors, port1, port2, done };
}

describe('Channel over a MessagePort', () => {
  test('requests get their own typed responses, concurrently and out of order', async () => {
    const { client, done } = pair();
    const slow = client.request('slow', { ms: 30 });
    const sums = await Promise.all([1, 2, 3].map((i) => client.request('add', { a: i, b: 10 })));
    assert.deepEqual(sums, [{ sum: 11 }, { sum: 12 }, { sum: 13 }]);
    assert.equal(await slow, 'ok');
    assert.equal(client.pendingCount, 0);
    done();
  });

  test('a request that fails validation is refused by the server with BAD_REQUEST', async () => {
    const { client, done } = pair();
    await assert.rejects(
      client.request('add', { a: 1, b: 'x' } as unknown as { a: number; b: number }),
      (e: unknown) => e instanceof MediaRequestError && e.code === 'BAD_REQUEST' && /b/.test(e.message),
    );
    done();
  });

  test('a handler error keeps its code', async () => {
    const { client, done } = pair();
    await assert.rejects(
      client.request('fail', { code: 'EADDRINUSE' }),
      (e: unknown) => e instanceof MediaRequestError && e.code === 'EADDRINUSE' && e.remoteName === 'MediaError',
    );
    done();
  });

  test('a response that breaks its schema rejects with MediaProtocolError', async () => {
    const { client, done } = pair();
    await assert.rejects(client.request('lie', {}), MediaProtocolError);
    done();
  });

  test('events arrive typed and in order; malformed events are dropped and reported', async () => {
    const { client, server, errors, port2, done } = pair();
    const got: number[] = [];
    const off = client.on('tick', (e) => got.push(e.n));
    server.emit('tick', { n: 1 });
    port2.postMessage({ t: 'ev', event: 'tick', data: { n: 1.5 } });
    port2.postMessage({ t: 'ev', event: 'nope', data: {} });
    server.emit('tick', { n: 2 });
    await client.request('add', { a: 0, b: 0 }); // a round trip flushes the events before it
    assert.deepEqual(got, [1, 2]);
    assert.equal(errors.length, 2);
    off();
    server.emit('tick', { n: 3 });
    await client.request('add', { a: 0, b: 0 });
    assert.deepEqual(got, [1, 2]);
    done();
  });

  test('a request with no response times out on the injected clock', async () => {
    const { port1, port2 } = new MessageChannel();
    port2.on('message', () => {}); // swallow requests
    const clock = new ManualClock();
    const client = new Channel(port1, proto, { timeoutMs: 1000, clock });
    const p = client.request('add', { a: 1, b: 2 });
    clock.advance(999);
    assert.equal(client.pendingCount, 1);
    clock.advance(1);
    await assert.rejects(p, MediaRequestTimeoutError);
    assert.equal(client.pendingCount, 0);
    client.close();
    port1.close();
  });

  test('close rejects pending and later requests with MediaChannelClosedError', async () => {
    const { port1, port2 } = new MessageChannel();
    port2.on('message', () => {});
    const client = new Channel(port1, proto);
    const p = client.request('add', { a: 1, b: 2 });
    client.close();
    await assert.rejects(p, MediaChannelClosedError);
    await assert.rejects(client.request('add', { a: 1, b: 2 }), MediaChannelClosedError);
    port1.close();
  });
});

describe('Channel over a real worker thread', () => {
  // A worker that reads requests and never answers: what a wedged or dying worker looks like.
  const mute = `require('node:worker_threads').parentPort.on('message', () => {});`;

  test('terminate() rejects every pending request with MediaWorkerDiedError', async () => {
    const worker = new Worker(mute, { eval: true });
    const client = new Channel(worker, proto, { name: 'media worker 7' });
    const pending = [client.request('add', { a: 1, b: 1 }), client.request('slow', { ms: 1 })];
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.pendingCount, 2);
    await worker.terminate();
    for (const p of pending) {
      await assert.rejects(p, (e: unknown) => e instanceof MediaWorkerDiedError && /media worker 7/.test(e.message));
    }
    await assert.rejects(client.request('add', { a: 1, b: 1 }), MediaWorkerDiedError);
    assert.equal(client.pendingCount, 0);
  });

  test('an uncaught exception in the worker rejects pending requests with MediaWorkerDiedError', async () => {
    const crash = `require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });`;
    const worker = new Worker(crash, { eval: true });
    const client = new Channel(worker, proto);
    await assert.rejects(
      client.request('add', { a: 1, b: 1 }),
      (e: unknown) => e instanceof MediaWorkerDiedError && /boom/.test(e.message),
    );
  });
});
