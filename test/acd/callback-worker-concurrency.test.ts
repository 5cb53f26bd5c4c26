/**
 * After a surge the callback backlog is cleared by every free agent at once, not one call at a
 * time: one round of the worker starts a callback per free agent (each agent rung, then the
 * caller dialled through the trunk) and stops at the first callback no agent is free for, which
 * goes back to the list. drain() waits for the calls in progress. Fakes stand in for SIP, media
 * and the store; the calls end when the test says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { parseQueueConfig } from '../../src/acd/queue-config.ts';
import { CallbackWorker, type CallbackWorkerOptions } from '../../src/acd/live/callback-worker.ts';
import type { CallbackView } from '../../src/store/repositories/callbacks.ts';

const NOW = Date.UTC(2026, 10, 24, 2, 0); // 10:00 in Taipei
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

test('one round starts a callback per free agent, runs them at once, and gives back the one nobody is free for', { timeout: 10_000 }, async () => {
  const clock = new ManualClock(0, NOW);
  const config = parseQueueConfig({ name: 'q', callbacks: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '24:00' }] } });
  const due = ['cb1', 'cb2', 'cb3'].map(
    (id, i) => ({ id, queue: 'q', lineId: null, kind: 'scheduled', callerNumber: `091234567${i}`, requestedAt: new Date(NOW - 60_000), positionEnteredAt: null, ivrPath: [], callId: null }) as unknown as CallbackView,
  );
  const free = ['a1', 'a2'];
  const seen = { released: [] as string[], completed: [] as string[], dialled: [] as string[], rung: [] as string[] };
  const hangUps: (() => void)[] = [];
  const opts = {
    tenantId: 't',
    clock,
    log: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb2) => cb2() }) }),
    mediaAddress: '127.0.0.1',
    media: { allocate: async () => ({ legId: 1, port: 40100 }), release: async () => undefined, configure: async () => undefined },
    callbacks: {
      claimDue: async () => (due.length > 0 ? [due.shift()!] : []),
      release: async (_t: string, id: string) => void seen.released.push(id),
      complete: async (_t: string, id: string) => void seen.completed.push(id),
    },
    engine: {
      refresh: async () => undefined,
      configOf: () => config,
      waitingCount: () => 0,
      waitingBefore: () => 0,
      agentForCallback: () => {
        const id = free.shift();
        return id ? { id, extension: id } : undefined;
      },
    },
    agents: { apply: () => true },
    trunks: { dialInfo: async () => ({ uri: 'sip:127.0.0.1:5090' }) },
    dialer: {
      ring: async ({ extension }: { extension: string }) => {
        seen.rung.push(extension);
        return { kind: 'answered', legId: 2, session: { signal: new AbortController().signal, bye: async () => undefined } };
      },
      // The bridge lasts until the test hangs it up.
      connect: () => new Promise((resolve) => hangUps.push(() => resolve({ talkMs: 1000 }))),
    },
    invite: async ({ uri }: { uri: string }) => {
      seen.dialled.push(uri);
      return { remoteSdp: Buffer.from(SDP) };
    },
  } as unknown as CallbackWorkerOptions;
  const w = new CallbackWorker(opts);

  await w.tick();
  assert.deepEqual(seen.rung, ['a1', 'a2'], 'both free agents rung in one round');
  assert.deepEqual(seen.released, ['cb3'], 'the third waits for an agent: given back, not failed');
  for (let i = 0; i < 20 && hangUps.length < 2; i++) await new Promise((r) => setImmediate(r));
  assert.equal(w.inProgress, 2, 'two callbacks in progress at the same time');
  assert.equal(hangUps.length, 2, 'both callers dialled and bridged');
  assert.deepEqual(seen.dialled.map((u) => u.split('@')[0]), ['sip:0912345670', 'sip:0912345671']);
  assert.deepEqual(seen.completed, [], 'nothing completed while they talk');

  const drained = w.drain();
  hangUps.forEach((h) => h());
  await drained;
  assert.deepEqual(seen.completed.sort(), ['cb1', 'cb2']);
  assert.equal(w.inProgress, 0);
});
