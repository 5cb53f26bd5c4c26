import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { DigitBuffer } from '../../src/call/digits.ts';

test('digits typed ahead are read in order', async () => {
  const clock = new ManualClock();
  const buf = new DigitBuffer(clock);
  buf.push('1');
  buf.push('#');
  assert.equal(await buf.next(1000), '1');
  assert.equal(await buf.next(1000), '#');
});

test('a waiting reader gets the next digit; silence times out on the clock', async () => {
  const clock = new ManualClock();
  const buf = new DigitBuffer(clock);
  const p = buf.next(60_000);
  buf.push('5');
  assert.equal(await p, '5');
  const q = buf.next(60_000);
  clock.advance(59_999);
  let settled = false;
  void q.then(() => (settled = true));
  await Promise.resolve();
  assert.equal(settled, false);
  clock.advance(1);
  assert.equal(await q, undefined);
  assert.equal(clock.pending(), 0);
});

test('abort ends the wait and clears its timer', async () => {
  const clock = new ManualClock();
  const buf = new DigitBuffer(clock);
  const ac = new AbortController();
  const p = buf.next(60_000, ac.signal);
  ac.abort();
  assert.equal(await p, undefined);
  assert.equal(clock.pending(), 0);
  // a digit after the abort is kept for the next reader, not lost
  buf.push('9');
  assert.equal(await buf.next(10), '9');
});

test('type-ahead is bounded and can be cleared', async () => {
  const clock = new ManualClock();
  const buf = new DigitBuffer(clock, 2);
  buf.push('1');
  buf.push('2');
  buf.push('3');
  assert.equal(await buf.next(10), '1');
  assert.equal(await buf.next(10), '2');
  const dropped = buf.next(10);
  clock.advance(10);
  assert.equal(await dropped, undefined);
  buf.push('4');
  buf.clear();
  const p = buf.next(100);
  clock.advance(100);
  assert.equal(await p, undefined);
});
