import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveValue, resolveValues } from '../../src/announcements/values.ts';

// 2026-11-11 14:02 in Taipei (UTC+8).
const NOW = Date.parse('2026-11-11T06:02:00Z');

test('a clock time is spoken the Mandarin way', () => {
  assert.equal(resolveValue('time', '18:00', NOW, 'Asia/Taipei'), '晚上6點');
  assert.equal(resolveValue('time', '9:05', NOW, 'Asia/Taipei'), '上午9點5分');
  assert.equal(resolveValue('eta', '12:30', NOW, 'Asia/Taipei'), '中午12點30分');
  assert.equal(resolveValue('time', '00:15', NOW, 'Asia/Taipei'), '凌晨12點15分');
});

test('a relative time is the clock time that far from now, rounded up to 5 minutes, in the line zone', () => {
  assert.equal(resolveValue('time', '+2h', NOW, 'Asia/Taipei'), '下午4點5分', '16:02 → 16:05');
  assert.equal(resolveValue('time', '+90m', NOW, 'Asia/Taipei'), '下午3點35分', '15:32 → 15:35');
  assert.equal(resolveValue('time', '+1h30m', NOW, 'Asia/Taipei'), '下午3點35分');
  assert.equal(resolveValue('time', '+2h', NOW, 'Asia/Tokyo'), '下午5點5分', 'the zone is the line’s');
  assert.equal(resolveValue('time', '+10h', NOW, 'Asia/Taipei'), '凌晨12點5分', 'past midnight');
});

test('other values and other shapes are read as written; empty values are dropped', () => {
  assert.equal(resolveValue('url', '18:00', NOW, 'Asia/Taipei'), '18:00', 'only time variables are times');
  assert.equal(resolveValue('time', '今晚稍後', NOW, 'Asia/Taipei'), '今晚稍後');
  assert.equal(resolveValue('time', '25:00', NOW, 'Asia/Taipei'), '25:00', 'not a clock time: as written');
  assert.equal(resolveValue('time', '+', NOW, 'Asia/Taipei'), '+');
  assert.equal(resolveValue('url', '   ', NOW, 'Asia/Taipei'), undefined);
});

test('given values override the preset defaults one by one', () => {
  assert.deepEqual(resolveValues({ time: '+2h', url: 'www.sktickets.com' }, { time: '18:00' }, NOW, 'Asia/Taipei'), { time: '晚上6點', url: 'www.sktickets.com' });
  assert.deepEqual(resolveValues(undefined, { url: ' ' }, NOW, 'Asia/Taipei'), {});
});
