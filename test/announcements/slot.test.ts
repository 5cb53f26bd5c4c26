import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnnouncementError, applyChange, emptySlot, heardAt } from '../../src/announcements/slot.ts';
import { SKTICKETS_PRESETS } from '../../src/announcements/sktickets-presets.ts';

const T0 = Date.parse('2026-11-11T06:00:00Z');

test('normal → outage → recovered: each switch is a new version new callers hear', () => {
  let s = emptySlot('banner', T0);
  assert.equal(heardAt(s, T0), null);
  s = applyChange(s, SKTICKETS_PRESETS, { preset: 'outage', values: { time: '下午3點30分', url: 'status.sktickets.example' }, by: 'supervisor-1' }, T0);
  const outage = heardAt(s, T0 + 1);
  assert.equal(outage?.version, 1);
  assert.match(outage!.text, /預計於 下午3點30分 恢復正常/);
  s = applyChange(s, SKTICKETS_PRESETS, { preset: 'recovered', by: 'supervisor-1' }, T0 + 60_000);
  assert.deepEqual(heardAt(s, T0 + 60_001), { text: '目前技術問題已修復，部分服務已恢復正常，您可以重新嘗試。', version: 2 });
  s = applyChange(s, SKTICKETS_PRESETS, { preset: 'normal', by: 'supervisor-1' }, T0 + 120_000);
  assert.equal(heardAt(s, T0 + 120_001), null);
  assert.equal(s.version, 3);
});

test('a preset without a value for its [時間] (and no default) is refused, and the slot keeps its state', () => {
  const s = emptySlot('banner', T0);
  const bare = SKTICKETS_PRESETS.map(({ values: _defaults, ...p }) => p);
  assert.throws(
    () => applyChange(s, bare, { preset: 'outage', values: { url: 'x' }, by: 'a' }, T0),
    (e: unknown) => e instanceof AnnouncementError && /\[時間\]/.test(e.message),
  );
  assert.equal(heardAt(s, T0), null);
});

test('one command switches SKTickets to its outage: the preset defaults give the time (+2h, spoken in the line zone) and the address', () => {
  // 06:00Z is 14:00 in Taipei: two hours later is 下午4點.
  const s = applyChange(emptySlot('banner', T0), SKTICKETS_PRESETS, { preset: 'outage', by: 'a', timeZone: 'Asia/Taipei' }, T0);
  assert.match(s.text ?? '', /預計於 下午4點 恢復正常。更多更新請至我們的官網 www\.sktickets\.com 查詢。/);
  assert.deepEqual(s.values, { time: '下午4點', url: 'www.sktickets.com' }, 'the values as heard are kept with the state');
  const given = applyChange(s, SKTICKETS_PRESETS, { preset: 'outage', values: { time: '18:30' }, by: 'a', timeZone: 'Asia/Taipei' }, T0);
  assert.match(given.text ?? '', /預計於 晚上6點30分 恢復正常.*www\.sktickets\.com/, 'a given value wins; the other default stays');
});

test('an expiry ends the announcement at that instant; a past expiry is refused', () => {
  let s = emptySlot('banner', T0);
  s = applyChange(s, SKTICKETS_PRESETS, { text: '系統維護中，請稍後再撥。', expiresAt: T0 + 3_600_000, by: 'a' }, T0);
  assert.ok(heardAt(s, T0 + 3_599_999), 'heard just before expiry');
  assert.equal(heardAt(s, T0 + 3_600_000), null);
  assert.throws(() => applyChange(s, SKTICKETS_PRESETS, { text: 'x', expiresAt: T0, by: 'a' }, T0), AnnouncementError);
});

test('unknown preset, or both preset and text, are errors', () => {
  const s = emptySlot('banner', T0);
  assert.throws(() => applyChange(s, SKTICKETS_PRESETS, { preset: 'meltdown', by: 'a' }, T0), /no preset "meltdown"/);
  assert.throws(() => applyChange(s, SKTICKETS_PRESETS, { preset: 'normal', text: 'x', by: 'a' }, T0), AnnouncementError);
  assert.throws(() => applyChange(s, SKTICKETS_PRESETS, { by: 'a' }, T0), AnnouncementError);
});
