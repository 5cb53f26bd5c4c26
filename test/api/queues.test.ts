/**
 * Queues over the API on both backends: a config parsed by queueConfigSchema (defaults come
 * back filled in), bad configs refused with the field's path, PUT creating or replacing
 * under the same name, roles (everyone reads, agents cannot change) and tenant isolation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import type { QueueLiveFigures } from '../../src/api/acd.ts';
import { LiveAgents, startAcdApi } from './acd-harness.ts';

eachBackend('API queues', (ctx) => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  /** Stands in for the queue engine's liveFigures (src/acd/live/queue-engine.ts): what this node runs, per tenant. */
  const running = new Map<string, QueueLiveFigures>();
  const live = new LiveAgents(() => ctx.clock.wallNow());

  before(async () => {
    api = await startAcdApi(ctx, { acd: { ...live.acd, queueLive: (tenantId, queue) => running.get(`${tenantId}/${queue}`) } });
    a = await makeTenant(ctx, 'queues-a');
    b = await makeTenant(ctx, 'queues-b');
  });
  after(async () => {
    await api?.close();
  });

  test('a queue is created from a config and comes back with every default filled in', async () => {
    const res = await api.request('POST', '/queues', {
      key: a.keys.supervisor,
      body: { name: 'orders', priority: 70, requiredSkills: [{ skill: 'orders', minProficiency: 3 }], agentGroups: ['tier1'] },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.name, 'orders');
    assert.equal(res.body.config.priority, 70);
    assert.equal(res.body.config.strategy, 'longest-idle', 'default strategy');
    assert.equal(res.body.config.serviceLevel.targetSeconds, 30, 'nested defaults');
    const got = await api.request('GET', '/queues/orders', { key: a.keys.agent });
    assert.equal(got.status, 200, 'agents read queues');
    assert.deepEqual(got.body.config, res.body.config);
    assert.equal((await api.request('GET', `/queues/${res.body.id}`, { key: a.keys.admin })).body.name, 'orders', 'by id too');
    assert.equal((await api.request('POST', '/queues', { key: a.keys.admin, body: { name: 'orders' } })).status, 409);
  });

  test('bad configs are refused naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'Bad Name' }, /^name: /],
      [{ name: 'q1', strategy: 'random' }, /^strategy: /],
      [{ name: 'q1', requiredSkills: [{ skill: 'orders', minProficiency: 11 }] }, /^requiredSkills\.0\.minProficiency: /],
      [{ name: 'q1', onFull: { kind: 'queue' } }, /^onFull\.queue: /],
      [{ name: 'q1', announcements: { mode: 'loud' } }, /^announcements\.mode: /],
      [{ name: 'q1', ringTimeout: 5 }, /^ringTimeout: unknown field/],
      [{ priority: 5 }, /^name: /],
    ];
    for (const [body, message] of cases) {
      const res = await api.request('POST', '/queues', { key: a.keys.admin, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
  });

  test('PUT creates or replaces a queue and keeps its name', async () => {
    const created = await api.request('PUT', '/queues/returns', { key: a.keys.supervisor, body: { name: 'returns', priority: 40 } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const replaced = await api.request('PUT', '/queues/returns', { key: a.keys.supervisor, body: { name: 'returns', strategy: 'round-robin' } });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.id, created.body.id, 'the same queue');
    assert.equal(replaced.body.config.strategy, 'round-robin');
    assert.equal(replaced.body.config.priority, 50, 'a replace, not a merge');
    const renamed = await api.request('PUT', '/queues/returns', { key: a.keys.admin, body: { name: 'refunds' } });
    assert.equal(renamed.status, 400);
    assert.match(renamed.body.error.message, /^name: /);
    const list = await api.request('GET', '/queues', { key: a.keys.admin });
    assert.deepEqual(list.body.map((q: { name: string }) => q.name), ['orders', 'returns']);
  });

  test('agents cannot change queues; tenants never see each other\'s', async () => {
    assert.equal((await api.request('POST', '/queues', { key: a.keys.agent, body: { name: 'x' } })).status, 403);
    assert.equal((await api.request('PUT', '/queues/orders', { key: a.keys.agent, body: { name: 'orders' } })).status, 403);
    assert.equal((await api.request('DELETE', '/queues/orders', { key: a.keys.agent })).status, 403);
    assert.deepEqual((await api.request('GET', '/queues', { key: b.keys.admin })).body, []);
    assert.equal((await api.request('GET', '/queues/orders', { key: b.keys.admin })).status, 404);
    assert.equal((await api.request('DELETE', '/queues/orders', { key: b.keys.admin })).status, 404);
    // B's PUT makes B's own queue; A's is untouched.
    assert.equal((await api.request('PUT', '/queues/orders', { key: b.keys.admin, body: { name: 'orders', priority: 1 } })).status, 200);
    assert.equal((await api.request('GET', '/queues/orders', { key: a.keys.admin })).body.config.priority, 70);
  });

  test("GET /queues/{queue}/live gives the runtime's figures to every role of the tenant; 503 when the queue does not run here", async () => {
    const figures: QueueLiveFigures = {
      queue: 'orders', waiting: 4, longestWaitMs: 95_000,
      agents: { offline: 1, available: 0, ringing: 1, 'on-call': 2, 'wrap-up': 0, break: 1 },
      serviceLevel: { last15m: 0.5, last60m: 0.8 },
    };
    assert.equal((await api.request('GET', '/queues/orders/live', { key: a.keys.agent })).status, 503, 'not running yet');
    running.set(`${a.id}/orders`, figures);
    for (const key of [a.keys.admin, a.keys.supervisor, a.keys.agent]) {
      const res = await api.request('GET', '/queues/orders/live', { key });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, figures);
    }
    const byId = (await api.request('GET', '/queues/orders', { key: a.keys.admin })).body.id;
    assert.equal((await api.request('GET', `/queues/${byId}/live`, { key: a.keys.admin })).body.waiting, 4, 'named by id, asked by name');
    assert.equal((await api.request('GET', '/queues/nope/live', { key: a.keys.admin })).status, 404);
    // B has its own queue 'orders' (created above) that does not run here: A's figures never answer for it.
    assert.equal((await api.request('GET', '/queues/orders/live', { key: b.keys.admin })).status, 503);
  });

  test('a supervisor removes a queue; every change is published as queue.changed for the tenant only', async () => {
    const seen: Array<{ type: string; queue?: string; action?: string }> = [];
    const off = api.bus.subscribe(a.id, (e) => seen.push(e as never));
    const offB = api.bus.subscribe(b.id, (e) => seen.push({ type: `leaked ${e.type}` }));
    try {
      assert.equal((await api.request('PUT', '/queues/returns', { key: a.keys.supervisor, body: { name: 'returns', priority: 41 } })).status, 200);
      assert.equal((await api.request('DELETE', '/queues/returns', { key: a.keys.supervisor })).status, 204);
      assert.equal((await api.request('GET', '/queues/returns', { key: a.keys.admin })).status, 404);
      assert.equal((await api.request('POST', '/queues', { key: a.keys.admin, body: { name: 'returns' } })).status, 201);
      assert.equal((await api.request('POST', '/queues', { key: a.keys.admin, body: { name: 'Bad' } })).status, 400);
    } finally {
      off();
      offB();
    }
    assert.deepEqual(seen.map((e) => [e.type, e.queue, e.action]), [
      ['queue.changed', 'returns', 'updated'],
      ['queue.changed', 'returns', 'removed'],
      ['queue.changed', 'returns', 'created'],
    ]);
  });
});
