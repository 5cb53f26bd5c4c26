/**
 * Live announcements over the API: presets per slot, switching to a preset with its
 * [時間]/[網址] values (Chinese or ASCII names), a free text with values and an expiry,
 * refusals (unknown preset, missing value, past expiry, both preset and text), and each
 * change handed to the runtime and published as announcement.changed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SKTICKETS_PRESETS } from '../../src/announcements/sktickets-presets.ts';
import type { CallEvent } from '../../src/events/bus.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, RecordingRuntime, startTestApi, type TestApi, type TestTenant } from './harness.ts';

eachBackend('API announcements', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  let lineId: string;
  let number: string;
  const runtime = new RecordingRuntime();
  const events: CallEvent[] = [];

  before(async () => {
    api = await startTestApi(ctx, { runtime });
    t = await makeTenant(ctx, 'ann');
    number = `4008${String(process.pid).padStart(7, '0')}`;
    const line = await api.request('POST', '/lines', { key: t.keys.admin, body: { name: 'SKTickets', timeZone: 'Asia/Taipei', numbers: [number] } });
    assert.equal(line.status, 201, JSON.stringify(line.body));
    lineId = line.body.id;
    api.bus.subscribe(t.id, (e) => events.push(e));
  });
  after(async () => {
    await api?.close();
  });

  test('presets are set and read back in order; an unset slot is version 0', async () => {
    const put = await api.request('PUT', `/lines/${number}/announcements/banner/presets`, { key: t.keys.supervisor, body: SKTICKETS_PRESETS });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const got = await api.request('GET', `/lines/${lineId}/announcements/banner/presets`, { key: t.keys.agent });
    assert.deepEqual(got.body, SKTICKETS_PRESETS);
    const empty = await api.request('GET', `/lines/${number}/announcements/banner`, { key: t.keys.agent });
    assert.equal(empty.status, 200);
    assert.equal(empty.body.version, 0);
    assert.equal(empty.body.text, null);
  });

  test('switching to the outage preset renders [時間] and [網址]; runtime and bus are told', async () => {
    const res = await api.request('PUT', `/lines/${number}/announcements/banner`, {
      key: t.keys.supervisor,
      body: { preset: 'outage', values: { 時間: '下午3點', 網址: 'www.sktickets.com' } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.preset, 'outage');
    assert.equal(res.body.version, 1);
    assert.ok(res.body.text.includes('預計於 下午3點 恢復正常'), res.body.text);
    assert.ok(res.body.text.includes('www.sktickets.com'), res.body.text);
    assert.equal(res.body.setBy, 'key:supervisor');
    assert.deepEqual(runtime.announcements.at(-1), { tenantId: t.id, lineId, state: res.body });
    assert.deepEqual(events.at(-1), { type: 'announcement.changed', tenantId: t.id, lineId, slot: 'banner', version: 1, text: res.body.text });
  });

  test('ASCII value names work as well', async () => {
    const res = await api.request('PUT', `/lines/${lineId}/announcements/banner`, {
      key: t.keys.admin,
      body: { preset: 'outage', values: { time: '晚上8點', url: 'status.sktickets.com' } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.text.includes('晚上8點') && res.body.text.includes('status.sktickets.com'), res.body.text);
    assert.deepEqual(res.body.values, { time: '晚上8點', url: 'status.sktickets.com' });
  });

  test('a free text with a value and an expiry', async () => {
    const expiresAt = new Date(ctx.clock.wallNow() + 2 * 3600_000);
    const res = await api.request('PUT', `/lines/${lineId}/announcements/callback`, {
      key: t.keys.supervisor,
      body: { text: '我們會在 [預估時間] 回撥給您。', values: { estimate: '30分鐘' }, expiresAt: expiresAt.toISOString() },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.text, '我們會在 30分鐘 回撥給您。');
    assert.equal(res.body.preset, null);
    assert.equal(res.body.expiresAt, expiresAt.getTime());
    const offset = await api.request('PUT', `/lines/${lineId}/announcements/callback`, {
      key: t.keys.supervisor,
      body: { text: '稍後回撥。', expiresAt: '2026-11-11T10:00:00+08:00' },
    });
    assert.equal(offset.status, 200, JSON.stringify(offset.body));
    assert.equal(offset.body.expiresAt, Date.parse('2026-11-11T02:00:00Z'), 'an offset is honoured');
    const list = await api.request('GET', `/lines/${number}/announcements`, { key: t.keys.agent });
    assert.deepEqual(list.body.map((s: { slot: string }) => s.slot).sort(), ['banner', 'callback']);
  });

  test('refusals: unknown preset, missing value, past expiry, preset and text together', async () => {
    const before = runtime.announcements.length;
    const cases: Array<[unknown, RegExp]> = [
      [{ preset: 'meltdown' }, /meltdown/],
      [{ text: '詳情請見 [網址]', values: { 時間: '下午3點' } }, /\[網址\]/],
      [{ text: 'x', expiresAt: new Date(ctx.clock.wallNow() - 1000).toISOString() }, /past/],
      [{ preset: 'normal', text: 'x' }, /preset or a text/],
      [{}, /preset or a text/],
    ];
    for (const [body, message] of cases) {
      const res = await api.request('PUT', `/lines/${lineId}/announcements/banner`, { key: t.keys.admin, body });
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, message);
    }
    assert.equal(runtime.announcements.length, before, 'a refused change tells no one');
    const state = await api.request('GET', `/lines/${lineId}/announcements/banner`, { key: t.keys.agent });
    assert.ok(state.body.text.includes('晚上8點'), 'the slot is unchanged');
  });

  test('the recovered preset, then normal (silent)', async () => {
    const rec = await api.request('PUT', `/lines/${lineId}/announcements/banner`, { key: t.keys.supervisor, body: { preset: 'recovered' } });
    assert.equal(rec.body.text, '目前技術問題已修復，部分服務已恢復正常，您可以重新嘗試。');
    const normal = await api.request('PUT', `/lines/${lineId}/announcements/banner`, { key: t.keys.supervisor, body: { preset: 'normal' } });
    assert.equal(normal.status, 200);
    assert.equal(normal.body.text, null);
    assert.deepEqual(events.at(-1), { type: 'announcement.changed', tenantId: t.id, lineId, slot: 'banner', version: normal.body.version, text: null });
  });
});
