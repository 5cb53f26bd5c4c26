import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PortAllocator, PortRangeError, parsePortRange } from '../../src/media/ports.ts';

describe('parsePortRange', () => {
  test('parses an inclusive range', () => {
    assert.deepEqual(parsePortRange('20000-29999'), [20000, 29999]);
    assert.deepEqual(parsePortRange(' 40000 - 40001 '), [40000, 40001]);
  });

  test('rejects malformed or empty ranges', () => {
    for (const bad of ['', '20000', '20000-', 'a-b', '30000-20000', '0-10', '20000-70000', '20001-20002', '20000-20000']) {
      assert.throws(() => parsePortRange(bad), PortRangeError, bad);
    }
  });
});

describe('PortAllocator', () => {
  test('hands out even RTP ports whose RTCP port+1 is inside the range', () => {
    const a = new PortAllocator([20001, 20008]);
    // 20001 is odd; 20008's RTCP port 20009 is outside: pairs are 20002, 20004, 20006.
    assert.equal(a.capacity, 3);
    assert.deepEqual([a.take(), a.take(), a.take(), a.take()], [20002, 20004, 20006, undefined]);
    assert.equal(a.inUse, 3);
  });

  test('round-robin: a released port is reused only after the cursor wraps', () => {
    const a = new PortAllocator([30000, 30009]);
    assert.equal(a.take(), 30000);
    assert.equal(a.take(), 30002);
    a.release(30000);
    assert.equal(a.take(), 30004);
    assert.equal(a.take(), 30006);
    assert.equal(a.take(), 30008);
    assert.equal(a.take(), 30000, 'wraps around to the released pair');
    assert.equal(a.take(), undefined);
    a.release(30006);
    assert.equal(a.take(), 30006);
  });

  test('a port that failed to bind (EADDRINUSE elsewhere) is skipped by releasing it and taking the next', () => {
    const a = new PortAllocator([30000, 30005]);
    const first = a.take()!;
    a.release(first); // the engine does this when the bind fails
    assert.equal(a.take(), 30002);
    assert.equal(a.take(), 30004);
    assert.equal(a.take(), 30000);
  });

  test('release of unknown, odd or foreign ports is a no-op', () => {
    const a = new PortAllocator([30000, 30003]);
    a.release(30000);
    a.release(30001);
    a.release(12);
    assert.equal(a.inUse, 0);
    assert.equal(a.isInUse(30000), false);
  });

  test('property: never hands out a port in use, always even, inside the range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 65000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.oneof(fc.constant('take' as const), fc.nat(60)), { maxLength: 200 }),
        (low, width, ops) => {
          const high = Math.min(65535, low + width);
          const first = low % 2 === 0 ? low : low + 1;
          if (first + 1 > high) return;
          const a = new PortAllocator([low, high]);
          const held = new Set<number>();
          for (const op of ops) {
            if (op === 'take') {
              const p = a.take();
              if (p === undefined) {
                assert.equal(held.size, a.capacity);
                continue;
              }
              assert.equal(p % 2, 0);
              assert.ok(p >= low && p + 1 <= high);
              assert.ok(!held.has(p), `port ${p} handed out twice`);
              held.add(p);
            } else {
              const port = [...held][op % Math.max(1, held.size)];
              if (port !== undefined) {
                a.release(port);
                held.delete(port);
              }
            }
            assert.equal(a.inUse, held.size);
          }
        },
      ),
    );
  });
});
