/**
 * Call records over the API, written through the calls repository as the runtime writes
 * them: list newest first with line/active/time filters and the `before` cursor, get by our
 * id or by any leg's SIP Call-ID, the journey included; a call still running on this node
 * is answered from the runtime with its journey so far.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';
import { callsRepository, type CallsRepository } from '../../src/store/repositories/calls.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, RecordingRuntime, startTestApi, type TestApi, type TestTenant } from './harness.ts';

const T0 = Date.parse('2026-11-11T02:00:00Z');

eachBackend('API calls', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  let calls: CallsRepository;
  const runtime = new RecordingRuntime();
  const lines: Record<'egou' | 'sk', { id: string; number: string }> = { egou: { id: '', number: '' }, sk: { id: '', number: '' } };
  /** ids by minute offset from T0 */
  const ids: string[] = [];

  before(async () => {
    api = await startTestApi(ctx, { runtime });
    t = await makeTenant(ctx, 'calls');
    calls = callsRepository(ctx.store().db, ctx.clock);
    const base = 400700000 + (process.pid % 100000) * 10;
    for (const [k, i] of [['egou', 1], ['sk', 2]] as const) {
      const number = String(base + i);
      const res = await api.request('POST', '/lines', { key: t.keys.admin, body: { name: k, timeZone: 'Asia/Taipei', numbers: [number] } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      lines[k] = { id: res.body.id, number };
    }
    // Five calls a minute apart: 0,2,4 on egou, 1,3 on sk; all but the last (4) ended.
    for (let m = 0; m < 5; m++) {
      const id = crypto.randomUUID();
      ids.push(id);
      const line = m % 2 === 0 ? lines.egou : lines.sk;
      const startedAt = new Date(T0 + m * 60_000);
      await calls.start({
        id, tenantId: t.id, lineId: line.id, caller: `09120000${m}`, dialled: line.number,
        legs: [{ role: 'caller', sipCallId: `sip-${m}-${id}@203.0.113.9` }], flowId: null, flowVersion: null, startedAt,
      });
      const journey: JourneyEntry[] = [
        { kind: 'node', at: startedAt.getTime(), node: 'welcome', type: 'say' },
        { kind: 'prompt', at: startedAt.getTime() + 10, node: 'welcome', text: '您好', result: 'done' },
        { kind: 'digit', at: startedAt.getTime() + 3000, node: 'menu', digit: '1' },
      ];
      if (m < 4) {
        await calls.end(t.id, id, { endedAt: new Date(startedAt.getTime() + 30_000), outcome: 'hangup', journey, variables: { order: `A${m}` } });
      } else {
        await calls.progress(t.id, id, { journey: journey.slice(0, 1), variables: {} });
      }
    }
  });
  after(async () => {
    await api?.close();
  });

  const idsOf = (body: Array<{ id: string }>): string[] => body.map((c) => c.id);

  test('the list is newest first and filters by line (id or number), active and time', async () => {
    const all = await api.request('GET', '/calls', { key: t.keys.agent });
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(idsOf(all.body), [...ids].reverse());
    const egou = await api.request('GET', `/calls?line=${lines.egou.number}`, { key: t.keys.agent });
    assert.deepEqual(idsOf(egou.body), [ids[4], ids[2], ids[0]]);
    const sk = await api.request('GET', `/calls?line=${lines.sk.id}`, { key: t.keys.agent });
    assert.deepEqual(idsOf(sk.body), [ids[3], ids[1]]);
    const active = await api.request('GET', '/calls?active=true', { key: t.keys.agent });
    assert.deepEqual(idsOf(active.body), [ids[4]]);
    const ended = await api.request('GET', '/calls?active=false', { key: t.keys.agent });
    assert.deepEqual(idsOf(ended.body), [ids[3], ids[2], ids[1], ids[0]]);
    const window = await api.request('GET', `/calls?since=${new Date(T0 + 60_000).toISOString()}&until=${new Date(T0 + 3 * 60_000).toISOString()}`, { key: t.keys.agent });
    assert.deepEqual(idsOf(window.body), [ids[2], ids[1]], 'since inclusive, until exclusive');
    assert.equal((await api.request('GET', '/calls?line=4000000000', { key: t.keys.agent })).status, 404, 'an unknown line is a 404');
  });

  test('pages with limit and the before cursor', async () => {
    const first = await api.request('GET', '/calls?limit=2', { key: t.keys.agent });
    assert.deepEqual(idsOf(first.body), [ids[4], ids[3]]);
    const cursor = first.body.at(-1).startedAt as string;
    const second = await api.request('GET', `/calls?limit=2&before=${encodeURIComponent(cursor)}`, { key: t.keys.agent });
    assert.deepEqual(idsOf(second.body), [ids[2], ids[1]]);
  });

  test('one call by our id or its SIP Call-ID, with journey, variables and legs', async () => {
    const byId = await api.request('GET', `/calls/${ids[1]}`, { key: t.keys.agent });
    assert.equal(byId.status, 200);
    assert.equal(byId.body.outcome, 'hangup');
    assert.deepEqual(byId.body.variables, { order: 'A1' });
    assert.deepEqual(byId.body.journey.map((j: { kind: string }) => j.kind), ['node', 'prompt', 'digit']);
    const sipCallId = byId.body.legs[0].sipCallId as string;
    assert.ok(sipCallId.startsWith('sip-1-'), 'every record carries the SIP Call-ID of its legs');
    const bySip = await api.request('GET', `/calls/${encodeURIComponent(sipCallId)}`, { key: t.keys.agent });
    assert.equal(bySip.status, 200);
    assert.equal(bySip.body.id, ids[1]);
    assert.equal((await api.request('GET', `/calls/${crypto.randomUUID()}`, { key: t.keys.agent })).status, 404);
    assert.equal((await api.request('GET', '/calls/no-such-call@example.com', { key: t.keys.agent })).status, 404);
  });

  test('a call running on this node is answered from the runtime, with its journey so far', async () => {
    const stored = (await api.request('GET', `/calls/${ids[4]}`, { key: t.keys.agent })).body;
    assert.equal(stored.journey.length, 1, 'the store has the last progress write');
    const liveJourney = [...stored.journey, { kind: 'digit', at: T0 + 4 * 60_000 + 5000, node: 'menu', digit: '0' }];
    runtime.calls.push({ ...stored, startedAt: new Date(stored.startedAt), endedAt: null, journey: liveJourney });
    // Not yet written to the store at all: a call that has just been answered.
    const fresh = crypto.randomUUID();
    runtime.calls.push({
      id: fresh, tenantId: t.id, lineId: lines.sk.id, caller: '0933000000', dialled: lines.sk.number,
      legs: [{ role: 'caller', sipCallId: `fresh-${fresh}` }], flowId: null, flowVersion: null,
      startedAt: new Date(T0 + 10 * 60_000), endedAt: null, outcome: null, target: null, journey: [], variables: {},
    });
    try {
      const live = await api.request('GET', `/calls/${encodeURIComponent(stored.legs[0].sipCallId)}`, { key: t.keys.agent });
      assert.equal(live.body.journey.length, 2, 'the live journey, not the stored one');
      const list = await api.request('GET', '/calls?active=true', { key: t.keys.agent });
      assert.deepEqual(idsOf(list.body), [fresh, ids[4]]);
      assert.equal(list.body[1].journey.length, 2);
      const skOnly = await api.request('GET', `/calls?line=${lines.sk.number}&active=true`, { key: t.keys.agent });
      assert.deepEqual(idsOf(skOnly.body), [fresh]);
      const endedOnly = await api.request('GET', '/calls?active=false', { key: t.keys.agent });
      assert.ok(!idsOf(endedOnly.body).includes(fresh), 'a live call is not in the ended list');
    } finally {
      runtime.calls.length = 0;
    }
  });
});
