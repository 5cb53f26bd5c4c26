/**
 * TimerHeap (src/acd/timer-heap.ts): entries come out by instant, and those due at the same
 * instant in the order they were pushed, whatever the mix (checked against a stable sort).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerHeap } from '../../src/acd/timer-heap.ts';

test('by instant, ties in push order, interleaved pushes and pops', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 500 }), (ops) => {
      const heap = new TimerHeap<number>();
      const ref: { at: number; key: number }[] = [];
      let key = 0;
      for (const op of ops) {
        if (op >= 0) {
          heap.push(op, key);
          ref.push({ at: op, key: key++ });
          ref.sort((a, b) => a.at - b.at); // Array.prototype.sort is stable: ties keep push order
        } else {
          const got = heap.pop();
          const want = ref.shift();
          assert.deepEqual(got && { at: got.at, key: got.key }, want);
        }
      }
      while (ref.length > 0) {
        const got = heap.pop()!;
        assert.deepEqual({ at: got.at, key: got.key }, ref.shift());
      }
      assert.equal(heap.size, 0);
    }),
    { numRuns: 200 },
  );
});
