/**
 * Call detail records of the queues over the API, on both backends (issue 4 §9): listed and
 * filtered (queue, agent by extension, call), an agent key sees only the calls it answered,
 * the wrap-up code is set by the agent who took the call and checked against the queue's
 * wrapUpCodes (422 naming them), a call nobody answered has no wrap-up (409), and the
 * per-queue figures of an interval count offered/answered/abandoned and the service level.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { queueCallsRepository } from '../../src/store/repositories/queue-calls.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { agentKey, LiveAgents, startAcdApi } from './acd-harness.ts';

eachBackend('API queue calls (CDRs), wrap-up codes and queue figures', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  let other: TestTenant;
  const ids: Record<string, string> = {};
  const cdr: Record<string, string> = {};
  const live = new LiveAgents(() => ctx.clock.wallNow());
  const T0 = Date.UTC(2026, 10, 11, 2, 0);

  before(async () => {
    api = await startAcdApi(ctx, { acd: live.acd });
    t = await makeTenant(ctx, 'cdr');
    other = await makeTenant(ctx, 'cdr-other');
    const q = await api.request('POST', '/queues', { key: t.keys.admin, body: { name: 'orders', wrapUpCodes: ['order-status', 'refund'] } });
    assert.equal(q.status, 201, JSON.stringify(q.body));
    for (const ext of ['2101', '2102']) {
      const res = await api.request('POST', '/agents', { key: t.keys.admin, body: { extension: ext } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids[ext] = res.body.id;
    }
    const repo = queueCallsRepository(ctx.store().db, ctx.clock);
    const visit = async (name: string, waitS: number, agent: string | null, talkS: number): Promise<void> => {
      const id = await repo.start(t.id, { callId: randomUUID(), queue: 'orders', enteredAt: new Date(T0) });
      if (agent) {
        await repo.answer(t.id, id, { at: new Date(T0 + waitS * 1000), agentId: ids[agent]! });
        await repo.end(t.id, id, { at: new Date(T0 + (waitS + talkS) * 1000), outcome: 'answered' });
      } else await repo.end(t.id, id, { at: new Date(T0 + waitS * 1000), outcome: 'abandoned' });
      cdr[name] = id;
    };
    await visit('fast', 10, '2101', 120);
    await visit('slow', 50, '2102', 60);
    await visit('gave-up', 40, null, 0);
  });
  after(async () => {
    await api?.close();
  });

  test('listed newest first and filtered; an agent key sees only the calls it answered', async () => {
    const all = await api.request('GET', '/queue-calls?queue=orders', { key: t.keys.supervisor });
    assert.equal(all.status, 200);
    assert.equal(all.body.length, 3);
    const fast = all.body.find((c: { id: string }) => c.id === cdr['fast']);
    assert.deepEqual([fast.waitMs, fast.talkMs, fast.outcome, fast.agentId], [10_000, 120_000, 'answered', ids['2101']]);
    assert.equal(fast.tenantId, undefined, 'no tenant id in the view');
    const byExt = await api.request('GET', '/queue-calls?agent=2102', { key: t.keys.admin });
    assert.deepEqual(byExt.body.map((c: { id: string }) => c.id), [cdr['slow']]);
    const key2101 = await agentKey(ctx, t.id, '2101');
    const own = await api.request('GET', '/queue-calls', { key: key2101 });
    assert.deepEqual(own.body.map((c: { id: string }) => c.id), [cdr['fast']], 'only its own');
    assert.deepEqual((await api.request('GET', '/queue-calls?agent=2102', { key: key2101 })).body, [], "another agent's filter gives nothing");
    assert.equal((await api.request('GET', `/queue-calls/${cdr['slow']}`, { key: key2101 })).status, 404);
    assert.equal((await api.request('GET', `/queue-calls/${cdr['fast']}`, { key: other.keys.admin })).status, 404, 'another tenant');
    assert.deepEqual((await api.request('GET', '/queue-calls', { key: other.keys.admin })).body, []);
  });

  test("wrap-up code: the agent's own call, one of the queue's codes; not on a call nobody answered", async () => {
    const key2101 = await agentKey(ctx, t.id, '2101-wrap');
    assert.equal((await api.request('PUT', `/queue-calls/${cdr['fast']}/wrap-code`, { key: key2101, body: { code: 'refund' } })).status, 403, 'a key that names no agent');
    const k = await agentKey(ctx, t.id, '2101');
    const bad = await api.request('PUT', `/queue-calls/${cdr['fast']}/wrap-code`, { key: k, body: { code: 'chit-chat' } });
    assert.equal(bad.status, 422);
    assert.match(bad.body.error.message, /order-status, refund/);
    const ok = await api.request('PUT', `/queue-calls/${cdr['fast']}/wrap-code`, { key: k, body: { code: 'refund' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.wrapCode, 'refund');
    assert.equal((await api.request('GET', `/queue-calls/${cdr['fast']}`, { key: t.keys.supervisor })).body.wrapCode, 'refund', 'stored');
    assert.equal((await api.request('PUT', `/queue-calls/${cdr['slow']}/wrap-code`, { key: k, body: { code: 'refund' } })).status, 404, "not another agent's call");
    assert.equal((await api.request('PUT', `/queue-calls/${cdr['slow']}/wrap-code`, { key: t.keys.supervisor, body: { code: 'order-status' } })).status, 200, 'a supervisor codes any call');
    assert.equal((await api.request('PUT', `/queue-calls/${cdr['gave-up']}/wrap-code`, { key: t.keys.supervisor, body: { code: 'refund' } })).status, 409);
    assert.equal((await api.request('PUT', `/queue-calls/${cdr['fast']}/wrap-code`, { key: k, body: { code: '' } })).status, 400);
  });

  test('queue figures of an interval: offered, answered, abandoned, answered within 30 s, averages', async () => {
    const since = new Date(T0 - 60_000).toISOString();
    const until = new Date(T0 + 60_000).toISOString();
    const res = await api.request('GET', `/queue-stats?since=${since}&until=${until}`, { key: t.keys.supervisor });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [orders] = res.body;
    assert.equal(orders.queue, 'orders');
    assert.deepEqual([orders.offered, orders.answered, orders.abandoned, orders.answeredWithinTarget], [3, 2, 1, 1]);
    assert.equal(orders.avgWaitMs, 30_000, 'the average speed of answer: the answered calls only, (10 + 50) / 2');
    const strict = await api.request('GET', `/queue-stats?since=${since}&until=${until}&serviceLevelSeconds=60`, { key: t.keys.supervisor });
    assert.equal(strict.body[0].answeredWithinTarget, 2);
    assert.equal((await api.request('GET', `/queue-stats?since=${until}&until=${since}`, { key: t.keys.supervisor })).status, 400);
    assert.equal((await api.request('GET', `/queue-stats?since=${since}&until=${until}`, { key: await agentKey(ctx, t.id, '2102') })).status, 403, 'figures are for staff');
  });
});
