import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateTiers, tierAnnouncementPreset, tierGroups } from '../../src/acd/tiers.ts';
import type { TierMetrics, TierState } from '../../src/acd/tiers.ts';
import { tierLevelSchema } from '../../src/acd/queue-config.ts';

// Seeds: three-tier emergency staffing.
const levels = [
  tierLevelSchema.parse({ name: 'busy', when: { waitingAtLeast: 10 }, addGroups: ['tier2'], holdSeconds: 120 }),
  tierLevelSchema.parse({ name: 'surge', when: { waitingAtLeast: 30, serviceLevelBelow: 0.5 }, addGroups: ['tier3'], announcementPreset: { line: 'egou', slot: 'comfort', preset: 'surge' } }),
  tierLevelSchema.parse({ name: 'emergency', when: { longestWaitSecondsAtLeast: 600 }, addGroups: ['all-hands', 'tier3'] }),
];
const m = (waiting: number, extra: Partial<TierMetrics> = {}): TierMetrics => ({ waiting, longestWaitSeconds: 0, ...extra });

test('escalates at once, straight to the highest level that holds', () => {
  assert.deepEqual(evaluateTiers(levels, m(12), { level: 0, since: 0 }, 1000), { level: 1, since: 1000, changed: true });
  assert.deepEqual(evaluateTiers(levels, m(12, { longestWaitSeconds: 700 }), { level: 0, since: 0 }, 1000), { level: 3, since: 1000, changed: true });
  assert.equal(evaluateTiers(levels, m(5, { serviceLevel: 0.4 }), { level: 0, since: 0 }, 1000).level, 2, 'service level below 50 %');
});

test('de-escalates only after holdSeconds below the release threshold', () => {
  let s: TierState = { level: 1, since: 0 };
  // 9 waiting: below 10 but above 10 × 0.8 = 8 → still holds, since refreshed
  s = evaluateTiers(levels, m(9), s, 10_000);
  assert.deepEqual(s, { level: 1, since: 10_000, changed: false });
  const r1 = evaluateTiers(levels, m(7), s, 100_000);
  assert.equal(r1.level, 1, '90 s after it last held: stays');
  const r2 = evaluateTiers(levels, m(7), r1, 130_000);
  assert.deepEqual(r2, { level: 0, since: 130_000, changed: true }, '120 s after it last held: released');
});

test('a service-level tier releases at 1 − (1 − x) × factor, not at an unreachable 100 %', () => {
  const sl = [tierLevelSchema.parse({ name: 'sl', when: { serviceLevelBelow: 0.8 }, holdSeconds: 0 })];
  const on = evaluateTiers(sl, m(0, { serviceLevel: 0.7 }), { level: 0, since: 0 }, 1);
  assert.equal(on.level, 1);
  assert.equal(evaluateTiers(sl, m(0, { serviceLevel: 0.82 }), on, 2).level, 1, '0.82 < 0.84: still held');
  assert.equal(evaluateTiers(sl, m(0, { serviceLevel: 0.85 }), on, 3).level, 0, '0.85 ≥ 0.84: released');
});

test('groups are cumulative; the preset is the highest active one', () => {
  assert.deepEqual(tierGroups(levels, 0), []);
  assert.deepEqual(tierGroups(levels, 3), ['tier2', 'tier3', 'all-hands']);
  assert.equal(tierAnnouncementPreset(levels, 1), undefined);
  assert.deepEqual(tierAnnouncementPreset(levels, 3), { line: 'egou', slot: 'comfort', preset: 'surge' });
});

test('property: a level is never left sooner than its holdSeconds after it was entered', () => {
  const arbMetrics = fc.record({ waiting: fc.integer({ min: 0, max: 40 }), longestWaitSeconds: fc.integer({ min: 0, max: 800 }), serviceLevel: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) });
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 60_000 }), arbMetrics), { maxLength: 80 }), (steps) => {
      let s: TierState = { level: 0, since: 0 };
      let now = 0;
      const enteredAt = new Map<number, number>([[0, 0]]);
      for (const [dt, met] of steps) {
        now += dt;
        const r = evaluateTiers(levels, met, s, now);
        if (r.level > s.level) {
          assert.ok(r.changed, 'escalation is a change');
          enteredAt.set(r.level, now);
        } else if (r.level < s.level) {
          const hold = levels[s.level - 1]!.holdSeconds * 1000;
          assert.ok(now - enteredAt.get(s.level)! >= hold, `left level ${s.level} after ${now - enteredAt.get(s.level)!} ms < ${hold}`);
          enteredAt.set(r.level, now);
        } else assert.ok(!r.changed, 'same level is no change');
        s = r;
      }
    }),
  );
});
