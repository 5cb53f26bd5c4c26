/**
 * Planning over the API (issue 5 §1, §7): POST /planning/erlang answers what the Erlang
 * functions answer, for admins and supervisors (agents 403); POST /planning/staff sizes a day
 * of intervals with shrinkage (an empty interval needs nobody) and totals agent-hours; an
 * impossible load or a missing AHT is 422 naming the input and its interval, never NaN.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { agentsFor, erlangA, erlangC } from '../../src/planning/erlang.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, startTestApi, type TestApi, type TestTenant } from './harness.ts';

eachBackend(
  'API planning',
  (ctx) => {
    let api: TestApi;
    let a: TestTenant;

    before(async () => {
      api = await startTestApi(ctx);
      a = await makeTenant(ctx, 'plan-a');
    });
    after(async () => {
      await api?.close();
    });

    test('erlang: Erlang C, and Erlang A with a patience, as the functions compute them; agents 403', async () => {
      const body = { arrivals: 360, intervalSeconds: 1800, ahtSeconds: 180, agents: 40, targetSeconds: 20 };
      const c = await api.request('POST', '/planning/erlang', { key: a.keys.supervisor, body });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.deepEqual(c.body, { ...erlangC({ arrivalRate: 0.2, ahtSeconds: 180, agents: 40, targetSeconds: 20 }) });
      const withA = await api.request('POST', '/planning/erlang', { key: a.keys.admin, body: { ...body, agents: 30, patienceSeconds: 120 } });
      assert.equal(withA.status, 200);
      assert.deepEqual(withA.body, { ...erlangA({ arrivalRate: 0.2, ahtSeconds: 180, agents: 30, targetSeconds: 20, patienceSeconds: 120 }) });
      const pAbandon = Number(withA.body.pAbandon);
      assert.ok(pAbandon > 0 && pAbandon < 1);
      assert.equal((await api.request('POST', '/planning/erlang', { key: a.keys.agent, body })).status, 403);
    });

    test('erlang: an impossible load is 422 naming agents; a bad field is 400 naming it', async () => {
      const res = await api.request('POST', '/planning/erlang', { key: a.keys.admin, body: { arrivals: 400, ahtSeconds: 180, agents: 40 } });
      assert.equal(res.status, 422);
      assert.match(res.body.error.message, /^agents: 40 agents cannot carry 40\.00 Erlangs/);
      assert.deepEqual(res.body.error.problems.map((p: { path: string }) => p.path), ['agents']);
      const bad = await api.request('POST', '/planning/erlang', { key: a.keys.admin, body: { arrivals: -1, ahtSeconds: 180, agents: 40 } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /arrivals/);
    });

    test('staff: per interval agents and scheduled with shrinkage; an empty interval needs nobody; agent-hours', async () => {
      const res = await api.request('POST', '/planning/staff', {
        key: a.keys.supervisor,
        body: { serviceLevel: 0.8, targetSeconds: 30, shrinkage: 0.3, ahtSeconds: 180, intervalSeconds: 1800, intervals: [{ arrivals: 360 }, { arrivals: 0 }, { arrivals: 90, ahtSeconds: 240 }] },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const first = agentsFor({ arrivalRate: 0.2, ahtSeconds: 180, targetSeconds: 30 }, 0.8);
      const third = agentsFor({ arrivalRate: 0.05, ahtSeconds: 240, targetSeconds: 30 }, 0.8);
      assert.deepEqual(res.body.intervals.map((iv: { agents: number }) => iv.agents), [first.agents, 0, third.agents]);
      const scheduled = [Math.ceil(first.agents / 0.7), 0, Math.ceil(third.agents / 0.7)];
      assert.deepEqual(res.body.intervals.map((iv: { scheduled: number }) => iv.scheduled), scheduled);
      assert.equal(res.body.agentHours, (scheduled[0]! + scheduled[2]!) * 0.5);
      assert.equal(res.body.peakScheduled, scheduled[0]);
      assert.ok(res.body.intervals[0].serviceLevel >= 0.8);
    });

    test("shifts: the seeds' three shifts by default, the optimum plan; an uncovered interval is 422", async () => {
      const required = Array.from({ length: 24 }, (_, h) => (h < 8 ? 1 : h < 16 ? 4 : 2));
      const res = await api.request('POST', '/planning/shifts', { key: a.keys.supervisor, body: { intervalMinutes: 60, required } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.shifts.map((s: { name: string; agents: number }) => [s.name, s.agents]), [['night', 1], ['morning', 4], ['evening', 2]]);
      assert.equal(res.body.agentHours, 56);
      const part = await api.request('POST', '/planning/shifts', {
        key: a.keys.admin,
        body: { intervalMinutes: 60, required: required.map((r, h) => (h === 12 ? r + 3 : r)), templates: [{ name: 'day', starts: ['00:00', '08:00', '16:00'], hours: 8 }, { name: 'lunch', starts: ['11:00', '12:00'], hours: 2 }] },
      });
      assert.equal(part.body.agentHours, 56 + 6, 'three 2-hour lunch shifts, not three 8-hour ones');
      const gap = await api.request('POST', '/planning/shifts', { key: a.keys.admin, body: { intervalMinutes: 60, required, templates: [{ name: 'day', starts: ['08:00'], hours: 8 }] } });
      assert.equal(gap.status, 422);
      assert.match(gap.body.error.message, /^required\[0\]: day 0 00:00 needs 1 agents/);
    });

    test('standby: three tiers for 1.5×, 2×, 3× of the peak', async () => {
      const res = await api.request('POST', '/planning/standby', { key: a.keys.admin, body: { arrivals: 360, ahtSeconds: 180, serviceLevel: 0.8, targetSeconds: 30 } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.tiers.map((t: { multiple: number }) => t.multiple), [1.5, 2, 3]);
      const need = (m: number): number => agentsFor({ arrivalRate: (360 * m) / 1800, ahtSeconds: 180, targetSeconds: 30 }, 0.8).agents;
      assert.equal(res.body.tiers[2].add, need(3) - need(2));
      assert.equal((await api.request('POST', '/planning/standby', { key: a.keys.admin, body: { arrivals: 360, ahtSeconds: 180, serviceLevel: 0.8, multiples: [2, 2] } })).status, 422);
    });

    test('staff: a missing AHT is 422 naming its interval', async () => {
      const res = await api.request('POST', '/planning/staff', { key: a.keys.admin, body: { serviceLevel: 0.8, intervals: [{ arrivals: 10, ahtSeconds: 100 }, { arrivals: 10 }] } });
      assert.equal(res.status, 422);
      assert.match(res.body.error.message, /^intervals\[1\]\.ahtSeconds/);
      const level = await api.request('POST', '/planning/staff', { key: a.keys.admin, body: { serviceLevel: 1, ahtSeconds: 100, intervals: [{ arrivals: 10 }] } });
      assert.equal(level.status, 400);
      assert.match(level.body.error.message, /serviceLevel/);
    });
  },
  { kinds: ['pglite'] },
);

eachBackend('API planning forecast', (ctx) => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  const PER_HOUR = [1, 4, 4, 4, 4, 4, 2]; // Sun..Sat, 09:00–21:00 Taipei

  before(async () => {
    api = await startTestApi(ctx);
    a = await makeTenant(ctx, 'fc-a');
    b = await makeTenant(ctx, 'fc-b');
    // Five weeks of queue visits from Monday 2025-10-06 (Taipei): answered, 150 s talk + 30 s wrap-up.
    const rows = [];
    for (let d = 0; d < 35; d++) {
      const day = Date.UTC(2025, 9, 6 + d) - 8 * 3_600_000; // local midnight as an instant
      const w = new Date(Date.UTC(2025, 9, 6 + d)).getUTCDay();
      for (let h = 9; h < 21; h++) {
        for (let k = 0; k < PER_HOUR[w]!; k++) {
          const at = new Date(day + h * 3_600_000 + k * 60_000);
          rows.push({ tenant_id: a.id, call_id: randomUUID(), queue: 'orders', entered_at: at, answered_at: at, ended_at: at, outcome: 'answered' as const, wait_ms: 5000, talk_ms: 150_000, wrap_ms: 30_000 });
        }
        // Another queue's visits are not the orders queue's history.
        rows.push({ tenant_id: a.id, call_id: randomUUID(), queue: 'returns', entered_at: new Date(day + h * 3_600_000), outcome: 'abandoned' as const, wait_ms: 9000 });
      }
    }
    await ctx.store().db.insertInto('queue_calls').values(rows).execute();
  });
  after(async () => {
    await api?.close();
  });

  test("forecast from the queue's records: weekdays, AHT from talk + wrap-up, the held-out error; other tenants see none of it", async () => {
    const body = { intervalMinutes: 60, history: { since: '2025-10-05T16:00:00Z', until: '2025-11-09T16:00:00Z', queue: 'orders' }, days: 7 };
    const res = await api.request('POST', '/planning/forecast', { key: a.keys.supervisor, body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const day = (d: string): number => res.body.intervals.filter((iv: { day: string }) => iv.day === d).reduce((s: number, iv: { calls: number }) => s + iv.calls, 0);
    assert.equal(res.body.intervals[0].day, '2025-11-10', 'from the day after the history');
    assert.equal(res.body.intervals[0].start, '2025-11-09T16:00:00.000Z', 'local midnight, as an ISO instant');
    assert.ok(Math.abs(day('2025-11-10') - 48) < 0.5, `Monday ${day('2025-11-10')}`);
    assert.ok(Math.abs(day('2025-11-16') - 12) < 0.5, `Sunday ${day('2025-11-16')}`);
    const ten = res.body.intervals.find((iv: { day: string; time: string }) => iv.day === '2025-11-10' && iv.time === '10:00');
    assert.equal(ten.ahtSeconds, 180);
    assert.ok(res.body.error.mape < 0.01 && res.body.error.heldOutDays === 7, JSON.stringify(res.body.error));
    const other = await api.request('POST', '/planning/forecast', { key: b.keys.admin, body });
    assert.equal(other.status, 422);
    assert.match(other.body.error.message, /^history: no intervals/);
  });

  test('forecast from counts in the body, with a future event and its given uplift; an event without one is 422', async () => {
    const intervals = [];
    for (let d = 0; d < 14; d++) for (let h = 9; h < 12; h++) intervals.push({ start: new Date(Date.UTC(2025, 9, 6 + d, h - 8)).toISOString(), calls: 10 });
    const ok = await api.request('POST', '/planning/forecast', { key: a.keys.admin, body: { intervalMinutes: 60, history: { intervals }, from: '2025-11-11', days: 1, events: { '2025-11-11': 'double11' }, uplift: { double11: 4 } } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.intervals.filter((iv: { calls: number }) => iv.calls > 0).length, 3);
    assert.ok(ok.body.intervals.every((iv: { event: string }) => iv.event === 'double11'));
    assert.ok(Math.abs(ok.body.intervals.reduce((s: number, iv: { calls: number }) => s + iv.calls, 0) - 120) < 1e-6);
    const bad = await api.request('POST', '/planning/forecast', { key: a.keys.admin, body: { intervalMinutes: 60, history: { intervals }, from: '2025-11-11', days: 1, events: { '2025-11-11': 'double11' } } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error.problems.map((p: { path: string }) => p.path), ['events.2025-11-11']);
  });

  test('review: forecast against actual per interval, the hour that fell short and by how much, callbacks still open', async () => {
    // Monday 2025-11-10 (Taipei): 4 visits an hour answered in 5 s, but 10:00–11:00 brought 15, answered after 60 s or lost.
    const rows = [];
    const day = Date.UTC(2025, 10, 10) - 8 * 3_600_000;
    for (let h = 9; h < 21; h++) {
      const surge = h === 10;
      for (let k = 0; k < (surge ? 15 : 4); k++) {
        const at = new Date(day + h * 3_600_000 + k * 60_000);
        const lost = surge && k >= 12;
        rows.push({ tenant_id: a.id, call_id: randomUUID(), queue: 'orders', entered_at: at, answered_at: lost ? null : at, ended_at: at, outcome: lost ? ('abandoned' as const) : ('answered' as const), wait_ms: surge ? 60_000 : 5000, talk_ms: lost ? null : 150_000, wrap_ms: lost ? null : 30_000 });
      }
    }
    await ctx.store().db.insertInto('queue_calls').values(rows).execute();
    const line = await api.request('POST', '/lines', { key: a.keys.admin, body: { name: 'review line', timeZone: 'Asia/Taipei' } });
    const callbacks = callbacksRepository(ctx.store().db, ctx.clock);
    const kept = await callbacks.create(a.id, { lineId: line.body.id, queue: 'orders', callerNumber: '0912000001', kind: 'keep-place', requestedAt: new Date(day + 10.5 * 3_600_000) });
    const done = await callbacks.create(a.id, { lineId: line.body.id, queue: 'orders', callerNumber: '0912000002', kind: 'keep-place', requestedAt: new Date(day + 10.6 * 3_600_000) });
    await callbacks.cancel(a.id, done.id, 'test');
    assert.ok(kept.id);

    const res = await api.request('POST', '/planning/review', { key: a.keys.supervisor, body: { from: '2025-11-09T16:00:00Z', to: '2025-11-10T16:00:00Z', queue: 'orders', intervalMinutes: 60 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.intervals.length, 24);
    const ten = res.body.intervals.find((i: { time: string }) => i.time === '10:00');
    assert.deepEqual([ten.offered, ten.answered, ten.abandoned, ten.serviceLevel, ten.shortfall], [15, 12, 3, 0, 0.8]);
    assert.ok(Math.abs(ten.forecast - 4) < 0.01, `forecast ${ten.forecast}`);
    assert.equal(res.body.intervals.find((i: { time: string }) => i.time === '09:00').shortfall, 0);
    assert.equal(res.body.totals.intervalsBelowTarget, 1);
    assert.equal(res.body.worst[0].time, '10:00');
    assert.equal(res.body.totals.offered, 11 * 4 + 15);
    assert.ok(res.body.totals.forecastError.mape > 0.05 && res.body.totals.forecastError.mape < 0.3, JSON.stringify(res.body.totals.forecastError));
    assert.deepEqual(res.body.callbacks, { byState: { pending: 1, cancelled: 1 }, open: 1 });
    const bad = await api.request('POST', '/planning/review', { key: a.keys.admin, body: { from: '2025-11-10T16:00:00Z', to: '2025-11-09T16:00:00Z' } });
    assert.equal(bad.status, 422);
  });
});
