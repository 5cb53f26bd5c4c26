/**
 * SortedList (src/acd/sorted-list.ts) against a plain sorted array under random inserts and
 * removes, front removals included (its head offset and compaction), so the router's order is
 * what a sort would give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SortedList } from '../../src/acd/sorted-list.ts';

const cmp = (a: number, b: number): number => a - b;

test('matches a sorted array through inserts, removes at the front and anywhere, and searches', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.record({ op: fc.constant('insert' as const), v: fc.integer({ min: 0, max: 5000 }) }), fc.record({ op: fc.constant('front' as const) }), fc.record({ op: fc.constant('remove' as const), v: fc.integer({ min: 0, max: 5000 }) })), { maxLength: 4000 }),
      (ops) => {
        const list = new SortedList<number>(cmp);
        const ref: number[] = [];
        for (const o of ops) {
          if (o.op === 'insert') {
            if (ref.includes(o.v)) continue; // a total order over distinct items, as the router's
            list.insert(o.v);
            ref.push(o.v);
            ref.sort(cmp);
          } else if (o.op === 'front') {
            if (ref.length === 0) assert.equal(list.at(0), undefined);
            else assert.equal(list.remove(ref.shift()!), true);
          } else {
            const i = ref.indexOf(o.v);
            assert.equal(list.remove(o.v), i >= 0);
            if (i >= 0) ref.splice(i, 1);
          }
          assert.equal(list.size, ref.length);
        }
        assert.deepEqual([...list], ref);
        assert.deepEqual([...list.reversed()], [...ref].reverse());
        ref.forEach((v, i) => assert.equal(list.at(i), v));
        assert.equal(list.at(ref.length), undefined);
        assert.equal(list.at(-1), undefined);
        assert.equal(list.search((x) => x >= 2500), ref.findIndex((x) => x >= 2500) === -1 ? ref.length : ref.findIndex((x) => x >= 2500));
      },
    ),
    { numRuns: 60 },
  );
});

test('a long queue served from the front: compaction keeps the order and the size', () => {
  const list = new SortedList<number>(cmp);
  for (let i = 0; i < 10_000; i++) list.insert(i);
  for (let i = 0; i < 7_000; i++) assert.equal(list.remove(i), true);
  list.insert(-1); // before the first: reuses the dead front
  assert.equal(list.size, 3_001);
  assert.equal(list.at(0), -1);
  assert.equal(list.at(1), 7_000);
  assert.deepEqual([...list].slice(0, 3), [-1, 7_000, 7_001]);
  for (let i = 7_000; i < 10_000; i++) list.remove(i);
  assert.deepEqual([...list], [-1]);
});
