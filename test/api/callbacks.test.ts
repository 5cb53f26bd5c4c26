/**
 * Callback requests over the API on both backends (product contract: GET /api/v1/callbacks
 * lists them with caller number, line, times and state): requests the runtime stored are
 * listed newest first and filtered by state, line (id or number), queue and time; a
 * supervisor schedules one, cancels one, marks one done (409 when its state forbids); an
 * agent's key sees only the callbacks its agent worked; tenants never see each other's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callbacksRepository, type CallbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { agentKey, startAcdApi } from './acd-harness.ts';

const T0 = Date.parse('2026-11-11T02:00:00Z');

eachBackend('API callbacks', (ctx) => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  let repo: CallbacksRepository;
  let line: { id: string; number: string };
  let other: { id: string; number: string };
  let agentId: string;
  let key3001: string;
  const ids: string[] = [];

  before(async () => {
    api = await startAcdApi(ctx);
    a = await makeTenant(ctx, 'cb-a');
    b = await makeTenant(ctx, 'cb-b');
    repo = callbacksRepository(ctx.store().db, ctx.clock);
    const base = 400600000 + (process.pid % 100000) * 10 + (ctx.kind === 'postgres' ? 5 : 0);
    const mk = async (name: string, n: number) => {
      const number = String(base + n);
      const res = await api.request('POST', '/lines', { key: a.keys.admin, body: { name, timeZone: 'Asia/Taipei', numbers: [number] } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return { id: res.body.id as string, number };
    };
    line = await mk('egou', 1);
    other = await mk('sk', 2);
    assert.equal((await api.request('POST', '/queues', { key: a.keys.admin, body: { name: 'egou-orders' } })).status, 201);
    const agent = await api.request('POST', '/agents', { key: a.keys.admin, body: { extension: '3001' } });
    agentId = agent.body.id;
    key3001 = await agentKey(ctx, a.id, '3001');
    // Three requests a minute apart, as the runtime stores them: 0 and 2 on egou (queue egou-orders), 1 on sk.
    for (let m = 0; m < 3; m++) {
      const cb = await repo.create(a.id, {
        lineId: m === 1 ? other.id : line.id,
        queue: m === 1 ? null : 'egou-orders',
        callerNumber: `0912000${m}`,
        kind: 'keep-place',
        requestedAt: new Date(T0 + m * 60_000),
        ivrPath: ['welcome', 'menu', 'queue'],
        digits: '0#',
      });
      ids.push(cb.id);
    }
  });
  after(async () => {
    await api?.close();
  });

  test('GET /callbacks lists requests newest first with caller number, line, times and state', async () => {
    const res = await api.request('GET', '/callbacks', { key: a.keys.supervisor });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((c: { id: string }) => c.id), [...ids].reverse());
    const first = res.body[2];
    assert.equal(first.callerNumber, '09120000');
    assert.equal(first.lineId, line.id);
    assert.equal(first.state, 'pending');
    assert.equal(first.kind, 'keep-place');
    assert.equal(first.requestedAt, new Date(T0).toISOString());
    assert.deepEqual(first.ivrPath, ['welcome', 'menu', 'queue']);
    assert.equal(first.digits, '0#');
    assert.ok(!('tenantId' in first) && !('claimedBy' in first));
  });

  test('filters: line by number, queue, state (one or several), since, limit and the before cursor', async () => {
    const q = async (qs: string) => (await api.request('GET', `/callbacks?${qs}`, { key: a.keys.admin })).body.map((c: { id: string }) => c.id);
    assert.deepEqual(await q(`line=${other.number}`), [ids[1]]);
    assert.deepEqual(await q(`line=${line.id}`), [ids[2], ids[0]]);
    assert.deepEqual(await q('queue=egou-orders'), [ids[2], ids[0]]);
    assert.deepEqual(await q('state=pending,due'), [ids[2], ids[1], ids[0]]);
    assert.deepEqual(await q('state=done'), []);
    assert.deepEqual(await q(`since=${new Date(T0 + 60_000).toISOString()}`), [ids[2], ids[1]]);
    assert.deepEqual(await q('limit=1'), [ids[2]]);
    assert.deepEqual(await q(`before=${new Date(T0 + 120_000).toISOString()}&limit=1`), [ids[1]]);
    const bad = await api.request('GET', '/callbacks?state=lost', { key: a.keys.admin });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^state\.0: /);
    const badSince = await api.request('GET', '/callbacks?since=yesterday', { key: a.keys.admin });
    assert.equal(badSince.status, 400);
    assert.match(badSince.body.error.message, /^since: /);
  });

  test('a supervisor schedules a callback; it is stored before the answer', async () => {
    const dueAt = '2026-11-11T14:30:00+08:00';
    const res = await api.request('POST', '/callbacks', { key: a.keys.supervisor, body: { number: '0933123456', line: line.number, queue: 'egou-orders', dueAt } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'scheduled');
    assert.equal(res.body.dueAt, new Date(dueAt).toISOString());
    const stored = await repo.get(a.id, res.body.id);
    assert.equal(stored.callerNumber, '0933123456');
    assert.equal(stored.nextAttemptAt?.toISOString(), new Date(dueAt).toISOString(), 'the worker claims it from its due time');
    for (const [body, message] of [
      [{ number: 'call me', line: line.number, dueAt }, /^number: /],
      [{ number: '0933123456', line: line.number }, /^dueAt: /],
      [{ number: '0933123456', line: line.number, dueAt: '14:30' }, /^dueAt: /],
      [{ number: '0933123456', line: line.number, dueAt, when: 'soon' }, /^when: unknown field/],
    ] as const) {
      const bad = await api.request('POST', '/callbacks', { key: a.keys.supervisor, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.match(bad.body.error.message, message);
    }
    assert.equal((await api.request('POST', '/callbacks', { key: a.keys.supervisor, body: { number: '0933123456', line: '4000000000', dueAt } })).status, 404, 'no such line');
    assert.equal((await api.request('POST', '/callbacks', { key: a.keys.supervisor, body: { number: '0933123456', line: line.number, queue: 'nope', dueAt } })).status, 404, 'no such queue');
    assert.equal((await api.request('POST', '/callbacks', { key: a.keys.agent, body: { number: '0933123456', line: line.number, dueAt } })).status, 403);
    await repo.cancel(a.id, res.body.id, 'test');
  });

  test('changes made through the API go on the event stream as callback.changed', async () => {
    const seen: unknown[] = [];
    const off = api.bus.subscribe(a.id, (e) => seen.push(e));
    const offB = api.bus.subscribe(b.id, (e) => seen.push({ leaked: e }));
    try {
      const res = await api.request('POST', '/callbacks', { key: a.keys.supervisor, body: { number: '0933000222', line: line.id, dueAt: '2026-11-12T10:00:00Z' } });
      assert.equal(res.status, 201);
      await api.request('PATCH', `/callbacks/${res.body.id}`, { key: a.keys.supervisor, body: { state: 'cancelled' } });
      assert.deepEqual(
        seen.map((e) => { const x = e as { type: string; callbackId: string; state: string; kind: string; lineId: string }; return [x.type, x.callbackId, x.state, x.kind, x.lineId]; }),
        [['callback.changed', res.body.id, 'pending', 'scheduled', line.id], ['callback.changed', res.body.id, 'cancelled', 'scheduled', line.id]],
      );
    } finally {
      off();
      offB();
    }
  });

  test('cancel and done: state changes with 409 when the state forbids them', async () => {
    const cancelled = await api.request('PATCH', `/callbacks/${ids[0]}`, { key: a.keys.supervisor, body: { state: 'cancelled' } });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.state, 'cancelled');
    const again = await api.request('PATCH', `/callbacks/${ids[0]}`, { key: a.keys.supervisor, body: { state: 'done' } });
    assert.equal(again.status, 409, 'a cancelled callback cannot be done');
    const done = await api.request('PATCH', `/callbacks/${ids[1]}`, { key: a.keys.admin, body: { state: 'done', result: 'called from my desk phone' } });
    assert.equal(done.status, 200);
    assert.deepEqual([done.body.state, done.body.result], ['done', 'called from my desk phone']);
    assert.equal((await api.request('PATCH', `/callbacks/${ids[1]}`, { key: a.keys.admin, body: { state: 'cancelled' } })).status, 409);
    const bad = await api.request('PATCH', `/callbacks/${ids[2]}`, { key: a.keys.admin, body: { state: 'due' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^state: /);
    assert.equal((await api.request('PATCH', `/callbacks/${ids[2]}`, { key: a.keys.agent, body: { state: 'cancelled' } })).status, 403);
    // One the dialler is working is its to finish.
    const dialling = await repo.create(a.id, { lineId: line.id, callerNumber: '0912999999', kind: 'keep-place', requestedAt: new Date(T0 - 3_600_000) });
    assert.ok(await repo.claim(a.id, dialling.id, new Date(ctx.clock.wallNow()), 'worker-1'));
    for (const state of ['done', 'cancelled']) {
      const busy = await api.request('PATCH', `/callbacks/${dialling.id}`, { key: a.keys.admin, body: { state } });
      assert.equal(busy.status, 409, `${state} while in progress`);
    }
    assert.equal((await repo.get(a.id, dialling.id)).state, 'in-progress', 'left to the dialler');
  });

  test("an agent's key sees only the callbacks its agent worked", async () => {
    const claimed = await repo.claim(a.id, ids[2]!, new Date(ctx.clock.wallNow()));
    assert.ok(claimed, 'claimed');
    await repo.complete(a.id, ids[2]!, { at: new Date(ctx.clock.wallNow()), agentId, result: 'answered' });
    const mine = await api.request('GET', '/callbacks', { key: key3001 });
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.map((c: { id: string }) => c.id), [ids[2]]);
    assert.equal((await api.request('GET', `/callbacks/${ids[2]}`, { key: key3001 })).status, 200);
    assert.equal((await api.request('GET', `/callbacks/${ids[1]}`, { key: key3001 })).status, 404, "others' callbacks are not found");
    assert.equal((await api.request('GET', '/callbacks', { key: a.keys.agent })).status, 403, 'a key naming no agent');
  });

  test("tenants never see each other's callbacks", async () => {
    assert.deepEqual((await api.request('GET', '/callbacks', { key: b.keys.admin })).body, []);
    assert.equal((await api.request('GET', `/callbacks/${ids[2]}`, { key: b.keys.admin })).status, 404);
    assert.equal((await api.request('PATCH', `/callbacks/${ids[2]}`, { key: b.keys.admin, body: { state: 'cancelled' } })).status, 404);
    assert.equal((await api.request('GET', `/callbacks?line=${line.number}`, { key: b.keys.admin })).status, 404, "A's number is no line of B");
    const dueAt = '2026-11-12T10:00:00Z';
    assert.equal((await api.request('POST', '/callbacks', { key: b.keys.admin, body: { number: '0933123456', line: line.id, dueAt } })).status, 404);
  });
});
