/**
 * MediaEngine under faults and odd conditions: a socket connected once latched, ports another
 * process holds, a worker that dies, a busy main thread.
 */
import { after, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { MediaEngine, MediaWorkerDiedError, type LegId, type DigitEvent } from '../../src/media/engine.ts';
import { FarEnd, ROBUST, assertContinuous, bind, closeOpenFarEnds, pattern, sleep, within } from './far-end.ts';

after(closeOpenFarEnds);

describe('MediaEngine with connectLatched', () => {
  test('connects the RTP socket once latched: the far end still hears us, other sources never reach the leg', async () => {
    const engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [13900, 13949], workers: 1, connectLatched: true, ...ROBUST });
    const digits: DigitEvent[] = [];
    engine.on('digit', (d) => digits.push(d));
    try {
      const far = await FarEnd.open();
      const intruder = await FarEnd.open();
      const { legId, port } = await engine.allocate();
      await engine.configure(legId, { remote: { address: '10.77.0.9', port: 40000 }, codec: 'PCMU', payloadType: 0, telephoneEventPt: 101 });
      far.send(port, 0, pattern(160, 8));
      await far.until(() => far.rx.length > 5);
      await sleep(50);
      intruder.send(port, 101, Buffer.from([0x05, 0x8a, 0x03, 0x20]), { marker: true });
      far.send(port, 101, Buffer.from([0x03, 0x8a, 0x03, 0x20]), { marker: true });
      await sleep(150);
      const st = await engine.stats(legId);
      assert.equal(st.latched, true);
      assert.deepEqual(st.remote, far.endpoint);
      assert.equal(st.foreignPackets, 0, 'the kernel dropped the intruder: nothing to count');
      assert.deepEqual(digits.map((d) => d.digit), ['3']);
      const n = far.rx.length;
      await far.until(() => far.rx.length > n + 3);
      assertContinuous(far.rx, 'stream across the connect');
      await engine.release(legId);
      far.close();
      intruder.close();
    } finally {
      await engine.close();
    }
  });
});

describe('MediaEngine ports', () => {
  test('skips pairs another process holds (EADDRINUSE), wraps around, and says NO_PORTS when full', async () => {
    const foreign = await bind(13602);
    const engine = await MediaEngine.start({ host: '127.0.0.1', portRange: '13600-13605', workers: 1 });
    try {
      const a = await engine.allocate();
      const b = await engine.allocate();
      assert.deepEqual([a.port, b.port], [13600, 13604]);
      await assert.rejects(engine.allocate(), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'NO_PORTS');
      await engine.release(a.legId);
      const c = await engine.allocate();
      assert.equal(c.port, 13600);
    } finally {
      await engine.close();
      foreign.close();
    }
  });
});

describe('MediaEngine when a worker dies', () => {
  test('terminate() rejects pending requests and playbacks with MediaWorkerDiedError; a new worker takes over', async () => {
    const engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [13700, 13799], workers: 1 });
    try {
      const far = await FarEnd.open();
      const { legId } = await engine.allocate();
      await engine.configure(legId, { remote: far.endpoint, codec: 'PCMU', payloadType: 0, telephoneEventPt: 101 });
      const died = new Promise<LegId[]>((resolve) => engine.once('workerDied', (e) => resolve(e.legIds)));
      const play = engine.play(legId, { source: { kind: 'silence', ms: 60_000 } });
      const digitsPending = engine.sendDigits(legId, '123456789');
      await sleep(50);
      await engine.workerThread(legId).terminate();
      await assert.rejects(within(play, 3000, 'the play to fail'), MediaWorkerDiedError);
      await assert.rejects(within(digitsPending, 3000, 'sendDigits to fail'), MediaWorkerDiedError);
      assert.deepEqual(await within(died, 3000, 'workerDied'), [legId]);
      await assert.rejects(engine.stats(legId), MediaWorkerDiedError);
      await assert.rejects(engine.release(legId), MediaWorkerDiedError);
      // The replacement worker serves new calls.
      for (let i = 0; i < 50 && engine.workerCount === 0; i++) await sleep(20);
      const again = await engine.allocate();
      await engine.configure(again.legId, { remote: far.endpoint, codec: 'PCMU', payloadType: 0 });
      const n = far.rx.length;
      await far.until(() => far.rx.length > n + 3);
      await engine.release(again.legId);
      far.close();
    } finally {
      await engine.close();
    }
  });
});

describe('MediaEngine and a blocked main thread', () => {
  test('300 ms of busy main thread leaves no gap in the far end’s packet stream', async (t) => {
    const engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [13800, 13899], workers: 1, ...ROBUST });
    // The far end lives in its own thread: the main thread is about to stop listening.
    const farCode = `
      const { parentPort } = require('node:worker_threads');
      const dgram = require('node:dgram');
      const s = dgram.createSocket('udp4');
      const at = [];
      s.on('message', () => at.push(performance.timeOrigin + performance.now()));
      s.bind(0, '127.0.0.1', () => parentPort.postMessage({ port: s.address().port }));
      parentPort.on('message', () => { parentPort.postMessage({ at }); s.close(); });
    `;
    const far = new Worker(farCode, { eval: true });
    try {
      const { port } = await within(new Promise<{ port: number }>((r) => far.once('message', r)), 5000, 'the far-end thread');
      const { legId } = await engine.allocate();
      await engine.configure(legId, { remote: { address: '127.0.0.1', port }, codec: 'PCMU', payloadType: 0 });
      await sleep(300);
      const blockStart = performance.timeOrigin + performance.now();
      const until = performance.now() + 300;
      while (performance.now() < until) {
        /* a slow synchronous job on the main thread */
      }
      const blockEnd = performance.timeOrigin + performance.now();
      await sleep(300);
      far.postMessage('report');
      const { at } = await within(new Promise<{ at: number[] }>((r) => far.once('message', r)), 5000, 'the far-end report');
      let maxGap = 0;
      let inBlock = 0;
      for (let i = 1; i < at.length; i++) maxGap = Math.max(maxGap, at[i]! - at[i - 1]!);
      for (const t of at) if (t > blockStart && t < blockEnd) inBlock++;
      t.diagnostic(`max gap ${maxGap.toFixed(1)} ms; ${inBlock} packets during the 300 ms block`);
      assert.ok(inBlock >= 10, `only ${inBlock} packets arrived during the 300 ms block`);
      assert.ok(maxGap < 100, `max gap ${maxGap.toFixed(1)} ms`);
      await engine.release(legId);
    } finally {
      await far.terminate();
      await engine.close();
    }
  });
});
