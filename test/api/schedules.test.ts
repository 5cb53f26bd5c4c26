/**
 * Schedules over the API: create/replace, list, delete, refusals naming the field, and
 * the status route at the edges that matter — midnight inside a shift that runs past it,
 * the exact closing instant, a whole day ending at 24:00, a holiday — in the schedule's zone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { restaurant } from '../../src/schedules/presets.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, startTestApi, type TestApi, type TestTenant } from './harness.ts';

const office = { open: '09:00', close: '18:00' };
/** Asia/Taipei (UTC+8, no DST): weekdays 9–18, Friday 18:00 → Saturday 02:00, all Sunday; 2026-11-12 (Thu) is a holiday. */
const LATE = {
  timeZone: 'Asia/Taipei',
  weekly: { mon: [office], tue: [office], wed: [office], thu: [office], fri: [{ open: '18:00', close: '02:00' }], sat: [], sun: [{ open: '00:00', close: '24:00' }] },
  holidays: [{ date: '2026-11-12', name: '測試假日' }],
};

eachBackend('API schedules', (ctx) => {
  let api: TestApi;
  let t: TestTenant;

  before(async () => {
    api = await startTestApi(ctx);
    t = await makeTenant(ctx, 'sched');
    const put = await api.request('PUT', '/schedules/late', { key: t.keys.supervisor, body: LATE });
    assert.equal(put.status, 200, JSON.stringify(put.body));
  });
  after(async () => {
    await api?.close();
  });

  async function status(at: string) {
    const res = await api.request('GET', `/schedules/late/status?at=${encodeURIComponent(at)}`, { key: t.keys.supervisor });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { open: boolean; reason: string; holiday?: string; nextChange: string | null };
  }

  test('a shift past midnight: open at 23:59 Friday and at 00:00 Saturday, closed at 02:00 sharp', async () => {
    const friLate = await status('2026-11-13T23:59:59.999+08:00');
    assert.deepEqual([friLate.open, friLate.reason, friLate.nextChange], [true, 'hours', '2026-11-13T18:00:00.000Z']);
    const satMidnight = await status('2026-11-14T00:00:00+08:00');
    assert.equal(satMidnight.open, true, 'the Friday shift runs on past midnight');
    const lastMs = await status('2026-11-14T01:59:59.999+08:00');
    assert.equal(lastMs.open, true);
    const closing = await status('2026-11-14T02:00:00+08:00');
    assert.deepEqual([closing.open, closing.reason, closing.nextChange], [false, 'closed', '2026-11-14T16:00:00.000Z'], 'closed at close, open again Sunday 00:00');
  });

  test('a whole day ends at the next midnight', async () => {
    const sunLast = await status('2026-11-15T23:59:59.999+08:00');
    assert.deepEqual([sunLast.open, sunLast.nextChange], [true, '2026-11-15T16:00:00.000Z']);
    const monMidnight = await status('2026-11-16T00:00:00+08:00');
    assert.deepEqual([monMidnight.open, monMidnight.nextChange], [false, '2026-11-16T01:00:00.000Z'], 'Monday opens at 09:00');
  });

  test('a holiday closes its date; the instant is read in the schedule zone, not UTC', async () => {
    const holiday = await status('2026-11-12T10:00:00+08:00');
    assert.deepEqual([holiday.open, holiday.reason, holiday.holiday], [false, 'holiday', '測試假日']);
    // 2026-11-11T20:00Z is already the 12th in Taipei (04:00): the holiday.
    const utcEve = await status('2026-11-11T20:00:00Z');
    assert.equal(utcEve.reason, 'holiday');
    const wed = await status('2026-11-11T17:59:00+08:00');
    assert.equal(wed.open, true);
  });

  test('without ?at the status is for the node clock', async () => {
    // The test clock reads 2026-11-11T00:00Z: Wednesday 08:00 in Taipei, opening at 09:00.
    const res = await api.request('GET', '/schedules/late/status', { key: t.keys.supervisor });
    assert.deepEqual([res.body.open, res.body.at, res.body.nextChange], [false, '2026-11-11T00:00:00.000Z', '2026-11-11T01:00:00.000Z']);
  });

  test('list, get, replace, delete; a bad schedule names its field', async () => {
    assert.equal((await api.request('PUT', '/schedules/restaurant', { key: t.keys.admin, body: restaurant() })).status, 200);
    const list = await api.request('GET', '/schedules', { key: t.keys.supervisor });
    assert.deepEqual(list.body.map((s: { name: string }) => s.name).sort(), ['late', 'restaurant']);
    const got = await api.request('GET', '/schedules/restaurant', { key: t.keys.supervisor });
    assert.deepEqual(got.body.schedule.weekly.mon, [], 'the restaurant is closed on Mondays');

    const bad = structuredClone(LATE) as { weekly: { mon: { open: string; close: string }[] } };
    bad.weekly.mon = [{ open: '09:00', close: '25:00' }];
    const refused = await api.request('PUT', '/schedules/late', { key: t.keys.admin, body: bad });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /weekly\.mon\.0\.close/);

    assert.equal((await api.request('DELETE', '/schedules/restaurant', { key: t.keys.admin })).status, 204);
    assert.equal((await api.request('GET', '/schedules/restaurant', { key: t.keys.admin })).status, 404);
    assert.equal((await api.request('GET', '/schedules/restaurant/status', { key: t.keys.admin })).status, 404);
    assert.equal((await api.request('DELETE', '/schedules/restaurant', { key: t.keys.admin })).status, 404);
  });
});
