import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { longestWaitingMs, pruneEvents, queueStats, windowStats } from '../../src/acd/stats.ts';
import type { QueueEvent } from '../../src/acd/stats.ts';

const MIN = 60_000;

test('service level, ASA and abandons over 15 and 60 minutes', () => {
  const now = 120 * MIN;
  const ev: QueueEvent[] = [
    { kind: 'answered', at: now - 50 * MIN, waitMs: 90_000 }, // only in the 60-min window, out of target
    { kind: 'offered', at: now - 10 * MIN, waitMs: 0 },
    { kind: 'answered', at: now - 9 * MIN, waitMs: 10_000 },
    { kind: 'answered', at: now - 8 * MIN, waitMs: 30_000 }, // exactly the target counts as within
    { kind: 'answered', at: now - 7 * MIN, waitMs: 45_000 },
    { kind: 'abandoned', at: now - 6 * MIN, waitMs: 2_000 }, // short abandon: ignored
    { kind: 'abandoned', at: now - 5 * MIN, waitMs: 60_000 },
  ];
  const { m15, m60 } = queueStats(ev, now, { targetSeconds: 30 });
  assert.equal(m15.answered, 3);
  assert.equal(m15.abandoned, 1);
  assert.equal(m15.shortAbandoned, 1);
  assert.equal(m15.offered, 1);
  assert.equal(m15.serviceLevel, 2 / 4, 'two of (3 answered + 1 abandoned) within 30 s');
  assert.equal(m15.asaMs, (10_000 + 30_000 + 45_000) / 3);
  assert.equal(m15.longestWaitMs, 60_000);
  assert.equal(m60.answered, 4);
  assert.equal(m60.serviceLevel, 2 / 5);
  assert.equal(m60.longestWaitMs, 90_000);
});

test('empty window: no service level, no ASA', () => {
  const s = windowStats([], 1000, 15 * MIN, { targetSeconds: 30 });
  assert.equal(s.serviceLevel, undefined);
  assert.equal(s.asaMs, undefined);
  assert.equal(longestWaitingMs([], 5), 0);
  assert.equal(longestWaitingMs([100, 40, 70], 200), 160);
});

test('pruneEvents keeps only the last hour and does not mutate', () => {
  const ev: QueueEvent[] = [{ kind: 'offered', at: 0, waitMs: 0 }, { kind: 'offered', at: 61 * MIN, waitMs: 0 }];
  const p = pruneEvents(ev, 70 * MIN);
  assert.deepEqual(p, [ev[1]]);
  assert.equal(ev.length, 2);
});

test('property: window stats equal a brute-force count; SL in [0,1]', () => {
  const arbEv = fc.array(
    fc.record({ kind: fc.constantFrom('offered', 'answered', 'abandoned'), at: fc.integer({ min: 0, max: 7_200_000 }), waitMs: fc.integer({ min: 0, max: 300_000 }) }),
    { maxLength: 60 },
  ).map((es) => (es as QueueEvent[]).sort((a, b) => a.at - b.at));
  fc.assert(
    fc.property(arbEv, fc.integer({ min: 0, max: 7_200_000 }), fc.integer({ min: 1, max: 3_600_000 }), (es, now, w) => {
      const s = windowStats(es, now, w, { targetSeconds: 30, shortAbandonSeconds: 5 });
      const inW = es.filter((e) => e.at > now - w && e.at <= now);
      const ans = inW.filter((e) => e.kind === 'answered');
      const ab = inW.filter((e) => e.kind === 'abandoned' && e.waitMs >= 5000);
      assert.equal(s.answered, ans.length);
      assert.equal(s.abandoned, ab.length);
      if (ans.length + ab.length > 0) {
        assert.equal(s.serviceLevel, ans.filter((e) => e.waitMs <= 30_000).length / (ans.length + ab.length));
        assert.ok(s.serviceLevel! >= 0 && s.serviceLevel! <= 1, 'SL is a fraction');
      } else assert.equal(s.serviceLevel, undefined);
    }),
  );
});
