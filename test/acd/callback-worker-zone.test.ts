/**
 * The callback worker reads a queue's calling windows in the zone of the callback's LINE (a
 * Los Angeles line's 09:00–18:00 is Los Angeles time), falling back to its default zone for a
 * callback without a known line. Fakes stand in for the store and the engine: the worker's only
 * visible choice here is to release the claim (outside the window) or go on to look for an agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { parseQueueConfig } from '../../src/acd/queue-config.ts';
import { CallbackWorker, type CallbackWorkerOptions } from '../../src/acd/live/callback-worker.ts';
import type { CallbackView } from '../../src/store/repositories/callbacks.ts';
import { Writable } from 'node:stream';

// 2026-11-24 02:00 UTC: 10:00 in Taipei (inside 09:00-18:00), 18:00 the day before in Los Angeles (outside).
const NOW = Date.UTC(2026, 10, 24, 2, 0);

function worker(lineZone: string | undefined, lineId: string | null) {
  const clock = new ManualClock(0, NOW);
  const config = parseQueueConfig({ name: 'q', callbacks: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '09:00', close: '18:00' }] } });
  const seen = { released: 0, askedForAgent: 0 };
  const cb = { id: 'cb1', queue: 'q', lineId, kind: 'scheduled', callerNumber: '0912345678', requestedAt: new Date(NOW - 60_000), positionEnteredAt: null, ivrPath: [], callId: null } as unknown as CallbackView;
  const opts = {
    tenantId: 't',
    clock,
    log: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb2) => cb2() }) }),
    callbacks: {
      claimDue: async () => [cb],
      release: async () => {
        seen.released++;
        return cb;
      },
    },
    engine: {
      refresh: async () => undefined,
      configOf: () => config,
      waitingCount: () => 0,
      waitingBefore: () => 0,
      agentForCallback: () => {
        seen.askedForAgent++;
        return undefined; // nobody free: released after the window check passed
      },
    },
    agents: {},
    ...(lineZone !== undefined ? { lineTimeZone: async () => lineZone } : {}),
  } as unknown as CallbackWorkerOptions;
  return { w: new CallbackWorker(opts), seen };
}

test("the windows are read in the line's zone: a Los Angeles line is outside them at 18:00 there", async () => {
  const la = worker('America/Los_Angeles', 'line-la');
  await la.w.tick();
  assert.deepEqual(la.seen, { released: 1, askedForAgent: 0 }, 'released without looking for an agent');
  const tpe = worker('Asia/Taipei', 'line-tpe');
  await tpe.w.tick();
  assert.deepEqual(tpe.seen, { released: 1, askedForAgent: 1 }, 'inside the window: looked for an agent');
});

test('no line (or an unknown one): the default zone, Asia/Taipei', async () => {
  const none = worker(undefined, null);
  await none.w.tick();
  assert.equal(none.seen.askedForAgent, 1);
});
