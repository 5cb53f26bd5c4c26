/**
 * Planning over the API (issue 5 §1, §7): POST /planning/erlang answers what the Erlang
 * functions answer, for admins and supervisors (agents 403); POST /planning/staff sizes a day
 * of intervals with shrinkage (an empty interval needs nobody) and totals agent-hours; an
 * impossible load or a missing AHT is 422 naming the input and its interval, never NaN.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
