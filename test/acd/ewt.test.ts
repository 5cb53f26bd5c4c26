import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HANDLE_SAMPLES, estimateWaitMs, formatWait, lessThanMinutes, positionText, recentHandleMs, roundedMinutes, servedPerSecond } from '../../src/acd/ewt.ts';

test('live rate: agents answering 1 call / 20 s, 6 ahead → about 2 minutes', () => {
  const now = 3_600_000;
  const answers = Array.from({ length: 45 }, (_, i) => now - 900_000 + (i + 1) * 20_000); // 45 answers in the last 15 min
  const rate = servedPerSecond(answers, now);
  assert.ok(rate !== undefined && Math.abs(rate - 0.05) < 1e-9, `rate ${rate}`);
  const ms = estimateWaitMs({ position: 7, servedPerSecond: rate, agentsStaffed: 3, ahtMs: 999_000, now });
  assert.equal(ms, 140_000, 'the live rate wins over AHT');
  assert.equal(formatWait(ms!, 'rounded'), '大約2分鐘');
});

test('rate window: old and future answers drop out; start-up window shortened by observedSince', () => {
  assert.equal(servedPerSecond([0, 1000], 2_000_000), undefined, 'nothing in the last 15 minutes');
  assert.equal(servedPerSecond([10_000, 20_000], 60_000, 900_000, 0), 2 / 60, 'observed 60 s: 2 answers / 60 s');
  assert.equal(servedPerSecond([100, 200, 300], 300, 100), 1 / 0.1, 'window is (now − w, now]: 200 is out, 300 in');
  assert.equal(servedPerSecond([400, 500], 300, 100), undefined, 'future answers are not counted');
});

test('fallback: AHT × position / agents, else undefined', () => {
  assert.equal(estimateWaitMs({ position: 4, agentsStaffed: 2, ahtMs: 180_000, now: 0 }), 360_000);
  assert.equal(estimateWaitMs({ position: 4, servedPerSecond: 0, agentsStaffed: 2, ahtMs: 180_000, now: 0 }), 360_000, 'a zero rate is no rate');
  assert.equal(estimateWaitMs({ position: 4, agentsStaffed: 0, ahtMs: 180_000, now: 0 }), undefined);
  assert.equal(estimateWaitMs({ position: 4, agentsStaffed: 2, now: 0 }), undefined);
});

test('the three text modes in Mandarin', () => {
  assert.equal(formatWait(4 * 60_000, 'less-than'), '不到5分鐘');
  assert.equal(formatWait(30_000, 'less-than'), '不到1分鐘');
  assert.equal(formatWait(5 * 60_000, 'less-than'), '不到10分鐘');
  assert.equal(formatWait(61 * 60_000, 'less-than'), '不到90分鐘');
  assert.equal(formatWait(10 * 60_000 + 40_000, 'rounded'), '大約10分鐘');
  assert.equal(formatWait(13 * 60_000, 'rounded'), '大約15分鐘');
  assert.equal(formatWait(3 * 60_000 + 20_000, 'rounded'), '大約3分鐘');
  assert.equal(formatWait(10_000, 'rounded'), '大約1分鐘', 'never "0 minutes"');
  assert.equal(formatWait(3 * 60_000 + 20_000, 'precise'), '大約3分鐘20秒');
  assert.equal(formatWait(3 * 60_000 + 22_000, 'precise'), '大約3分鐘20秒');
  assert.equal(formatWait(120_000, 'precise'), '大約2分鐘');
  assert.equal(formatWait(40_000, 'precise'), '大約40秒');
  assert.equal(positionText(3), '您目前排在第3位');
  assert.equal(formatWait(200_000, 'precise', 'en'), 'about 3 minutes 20 seconds');
});

test('property: EWT grows with position and shrinks with the rate', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.001, max: 10, noNaN: true }), (p1, p2, rate) => {
      const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
      const a = estimateWaitMs({ position: lo, servedPerSecond: rate, agentsStaffed: 1, now: 0 })!;
      const b = estimateWaitMs({ position: hi, servedPerSecond: rate, agentsStaffed: 1, now: 0 })!;
      assert.ok(a <= b, 'monotone in position');
      assert.ok(estimateWaitMs({ position: lo, servedPerSecond: rate * 2, agentsStaffed: 1, now: 0 })! <= a, 'faster service, shorter wait');
    }),
  );
});

test('property: texts never promise less than the estimate (less-than) and are monotone', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      assert.ok(lessThanMinutes(lo) * 60_000 > lo, 'less-than is strictly above');
      assert.ok(lessThanMinutes(lo) <= lessThanMinutes(hi), 'monotone');
      assert.ok(roundedMinutes(lo) <= roundedMinutes(hi), 'rounded monotone');
    }),
  );
});

test('measured handle time comes first: position × handle / staffed; the answer rate and the configured AHT are fallbacks', () => {
  // 20 agents, 22 s per call: the 10th in line waits about 11 s, whatever the answer rate was while agents sat idle.
  assert.equal(estimateWaitMs({ position: 10, handleMs: 22_000, servedPerSecond: 0.25, agentsStaffed: 20, ahtMs: 180_000, now: 0 }), 11_000);
  assert.equal(estimateWaitMs({ position: 10, servedPerSecond: 0.25, agentsStaffed: 20, ahtMs: 180_000, now: 0 }), 40_000, 'no handle times: the answer rate');
  assert.equal(estimateWaitMs({ position: 10, handleMs: 22_000, servedPerSecond: 0.25, agentsStaffed: 0, ahtMs: 180_000, now: 0 }), 40_000, 'nobody staffed: the handle time says nothing');
});

test('recentHandleMs: the mean of the latest HANDLE_SAMPLES handle times, none below three', () => {
  assert.equal(recentHandleMs([]), undefined);
  assert.equal(recentHandleMs([10, 20]), undefined, 'two calls are not a measure');
  assert.equal(recentHandleMs([10, 20, 30]), 20);
  const old = Array.from({ length: 50 }, () => 1_000_000);
  const recent = Array.from({ length: HANDLE_SAMPLES }, (_, i) => (i % 2 ? 30_000 : 10_000));
  assert.equal(recentHandleMs([...old, ...recent]), 20_000, 'older calls fall out of the mean');
});
