/** `--expires` of `surgeline announce`: durations from now and ISO times, refused otherwise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpires } from '../../src/cli/expires.ts';
import { UsageError } from '../../src/cli/errors.ts';

const NOW = Date.parse('2026-11-23T10:00:00Z');

test('durations count from now', () => {
  assert.equal(parseExpires('90s', NOW), '2026-11-23T10:01:30.000Z');
  assert.equal(parseExpires('30m', NOW), '2026-11-23T10:30:00.000Z');
  assert.equal(parseExpires('2h', NOW), '2026-11-23T12:00:00.000Z');
  assert.equal(parseExpires('1d', NOW), '2026-11-24T10:00:00.000Z');
  assert.equal(parseExpires('1h30m', NOW), '2026-11-23T11:30:00.000Z');
});

test('an ISO time with a zone is taken as that instant', () => {
  assert.equal(parseExpires('2026-11-23T20:00:00+08:00', NOW), '2026-11-23T12:00:00.000Z');
  assert.equal(parseExpires('2026-11-23T10:00:01Z', NOW), '2026-11-23T10:00:01.000Z');
  assert.throws(() => parseExpires('2026-11-23T18:00:00+08:00', NOW), /already passed/, 'now itself is not in the future');
});

test('refused: no unit, zero, the past, no zone, words', () => {
  for (const bad of ['90', '0s', '2026-11-23T09:00:00Z', '2026-11-23T18:00:00', 'tomorrow', '', '2h 30m', '-5m']) {
    assert.throws(() => parseExpires(bad, NOW), UsageError, `"${bad}" is refused`);
  }
});
