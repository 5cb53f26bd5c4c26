/**
 * The API over the seeded demo store, as `npm start` serves it: the SURGELINE_ADMIN_KEY
 * (not in sl_ format) works as a Bearer key, the two hotlines answer by number with their
 * published flows, and the SKTickets incident switch of the seeds is one PUT by number.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedDemo } from '../../src/demo/seed.ts';
import { eachBackend } from '../store/backends.ts';
import { startTestApi, type TestApi } from './harness.ts';

const ADMIN_KEY = 'ci-admin-key-0123456789abcdef';

eachBackend('API over the demo seed', (ctx) => {
  let api: TestApi;

  before(async () => {
    await seedDemo(ctx.store().db, ctx.clock, { adminKey: ADMIN_KEY });
    api = await startTestApi(ctx);
  });
  after(async () => {
    await api?.close();
  });

  test('the imported admin key opens the demo tenant, the operator', async () => {
    const tenants = await api.request('GET', '/tenants', { key: ADMIN_KEY });
    assert.equal(tenants.status, 200, JSON.stringify(tenants.body));
    const demo = tenants.body.find((t: { slug: string }) => t.slug === 'demo');
    assert.equal(demo?.operator, true);
  });

  test('both hotlines by number, each with its published flow', async () => {
    const flows = await api.request('GET', '/flows', { key: ADMIN_KEY });
    const byId = new Map<string, { name: string; publishedVersion: number | null }>(flows.body.map((f: { id: string }) => [f.id, f]));
    for (const [number, flow] of [['4008001111', 'egou-double11'], ['4008002222', 'sktickets-incident']]) {
      const line = await api.request('GET', `/lines/${number}`, { key: ADMIN_KEY });
      assert.equal(line.status, 200, `${number}: ${JSON.stringify(line.body)}`);
      assert.ok(line.body.numbers.includes(number));
      const attached = byId.get(line.body.flowId);
      assert.equal(attached?.name, flow);
      assert.equal(attached?.publishedVersion, 1);
    }
  });

  test('the SKTickets outage, then recovered, by number', async () => {
    const before = await api.request('GET', '/lines/4008002222/announcements/banner', { key: ADMIN_KEY });
    assert.equal(before.body.text, null, 'no incident at first start');
    const outage = await api.request('PUT', '/lines/4008002222/announcements/banner', {
      key: ADMIN_KEY,
      body: { preset: 'outage', values: { 時間: '下午3點', 網址: 'www.sktickets.com' } },
    });
    assert.equal(outage.status, 200, JSON.stringify(outage.body));
    assert.match(outage.body.text, /預計於 下午3點 恢復正常。更多更新請至我們的官網 www\.sktickets\.com 查詢/);
    const recovered = await api.request('PUT', '/lines/4008002222/announcements/banner', { key: ADMIN_KEY, body: { preset: 'recovered' } });
    assert.equal(recovered.body.version, outage.body.version + 1);
  });

  test('the demo schedules are there', async () => {
    const list = await api.request('GET', '/schedules', { key: ADMIN_KEY });
    assert.deepEqual(list.body.map((s: { name: string }) => s.name).sort(), ['office-hours', 'restaurant']);
  });
});
