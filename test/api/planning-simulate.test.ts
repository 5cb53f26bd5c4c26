/**
 * The simulator over the API: a tenant pushes the E購網 flows and queues, makes a line, and
 * rehearses a 10× step surge through it — seeded and repeatable, deflection and queueing as
 * the flow's shares say; a what-if compares the normal flow with the Double-11 one (FAQ
 * answers deflect callers) and 40 against 80 agents; missing shares are 422 naming the node;
 * a replay of the line's recorded calls (scaled) with the menu shares observed in their
 * journeys, given shares winning node by node.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_QUEUES } from '../../src/demo/seed.ts';
import { egouDouble11Flow, egouNormalFlow } from '../../src/flows/demo/egou.ts';
import { randomUUID } from 'node:crypto';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';
import { callsRepository } from '../../src/store/repositories/calls.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, startTestApi, type TestApi, type TestTenant } from './harness.ts';

const D11_CHOICES = {
  menu: { '1': 0.45, '2': 0.2, '3': 0.1, '4': 0.1, '0': 0.1, noInput: 0.05 },
  orderStatus: { hangup: 0.6, '1': 0.3, noInput: 0.1 },
  returns: { hangup: 0.5, '1': 0.4, noInput: 0.1 },
  payment: { hangup: 0.5, '1': 0.5 },
};
const NORMAL_CHOICES = { menu: { '1': 0.45, '2': 0.2, '3': 0.1, '0': 0.2, noInput: 0.05 } };
const PROFILE = { intervalMinutes: 30, step: { base: 60, multiple: 10, at: 4, intervals: 12 } };

eachBackend(
  'API planning simulate',
  (ctx) => {
    let api: TestApi;
    let a: TestTenant;
    let lineId: string;
    let d11Id: string;

    before(async () => {
      api = await startTestApi(ctx);
      a = await makeTenant(ctx, 'sim-a');
      for (const q of DEMO_QUEUES.filter((x) => x.name.startsWith('egou-'))) {
        const res = await api.request('POST', '/queues', { key: a.keys.admin, body: q });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
      for (const f of [egouNormalFlow, egouDouble11Flow]) {
        const res = await api.request('POST', '/flows?publish=true', { key: a.keys.admin, body: f });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        if (f === egouDouble11Flow) d11Id = res.body.flow.id;
      }
      const line = await api.request('POST', '/lines', { key: a.keys.admin, body: { name: 'E購網', timeZone: 'Asia/Taipei', numbers: ['4008009911'], flow: 'egou-double11' } });
      assert.equal(line.status, 201, JSON.stringify(line.body));
      lineId = line.body.id;
    });
    after(async () => {
      await api?.close();
    });

    test('a 10× step through the Double-11 flow: per interval and totals, seeded and repeatable', async () => {
      const body = { line: 'E購網', choices: D11_CHOICES, profile: PROFILE, agents: 20, patienceSeconds: 120, seed: 7 };
      const res = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.intervals.length, 12);
      const t = res.body.totals;
      assert.ok(Math.abs(t.offered - (4 * 60 + 8 * 600)) < 250, `offered ${t.offered}`);
      assert.ok(t.deflected / t.offered > 0.4, 'the FAQ answers deflect');
      assert.ok(res.body.intervals[6].peakWaiting > res.body.intervals[1].peakWaiting, `the step fills the queue: ${JSON.stringify(res.body.intervals.map((i: { peakWaiting: number; serviceLevel: number }) => [i.peakWaiting, i.serviceLevel]))}`);
      assert.ok(res.body.intervals[1].serviceLevel > res.body.intervals[8].serviceLevel, 'and the service level falls');
      assert.deepEqual((await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body })).body, res.body, 'same seed, same run');
      assert.equal((await api.request('POST', '/planning/simulate', { key: a.keys.agent, body })).status, 403);
    });

    test('what-if: the normal flow against the Double-11 flow; 40 against 80 agents', async () => {
      const base = { line: 'E購網', flow: 'egou-normal', choices: NORMAL_CHOICES, profile: PROFILE, agents: 40, patienceSeconds: 120, seed: 3 };
      const flows = await api.request('POST', '/planning/compare', { key: a.keys.admin, body: { a: base, b: { flow: 'egou-double11', choices: D11_CHOICES } } });
      assert.equal(flows.status, 200, JSON.stringify(flows.body).slice(0, 500));
      assert.ok(flows.body.difference.deflected > 0.3 * flows.body.a.offered, `Double-11 deflects more: ${JSON.stringify(flows.body.difference)}`);
      assert.ok(flows.body.difference.abandoned < 0, 'and fewer callers abandon');
      const staff = await api.request('POST', '/planning/compare', { key: a.keys.admin, body: { a: base, b: { agents: 80 } } });
      assert.equal(staff.status, 200);
      assert.ok(staff.body.difference.serviceLevel > 0, 'more agents, better service level');
      assert.equal(staff.body.difference.offered, 0, 'the same surge on both sides');
    });

    test("a replay of the line's calls, doubled, with the menu shares its callers' journeys show", async () => {
      assert.ok(d11Id && lineId);
      // 200 calls between 20:00 and 21:00 on Nov 11: half hear the order FAQ and hang up, 30 % ask
      // for an agent (20 s in the IVR), 20 % leave a message.
      const since = Date.parse('2026-11-11T20:00:00+08:00');
      const node = (at: number, n: string): JourneyEntry => ({ kind: 'node', at, node: n, type: 'say' });
      const writes = Array.from({ length: 200 }, (_, i) => {
        const t = since + i * 18_000;
        const path = i % 10 < 5 ? ['welcome', 'menu', 'orderStatus'] : i % 10 < 8 ? ['welcome', 'menu', 'agent'] : ['welcome', 'menu', 'message'];
        const end = i % 10 < 5 ? 'caller-hangup' : i % 10 < 8 ? 'queue' : 'voicemail';
        const journey: JourneyEntry[] = [...path.map((n, k) => node(t + k * 10_000, n)), { kind: 'end', at: t + (path.length - 1) * 10_000, end }];
        return {
          id: randomUUID(),
          tenantId: a.id,
          start: { lineId, caller: `0912${String(i).padStart(6, '0')}`, dialled: '4008009911', legs: [], flowId: d11Id, flowVersion: 1, startedAt: new Date(t) },
          journey,
          variables: {},
          end: { endedAt: new Date(t + 60_000), outcome: end },
        };
      });
      assert.deepEqual(await callsRepository(ctx.store().db, ctx.clock).write(writes), { unwritten: [] });
      const period = { since: '2026-11-11T20:00:00+08:00', until: '2026-11-11T21:00:00+08:00' };
      const body = { line: 'E購網', observed: period, profile: { intervalMinutes: 15, replay: { ...period, scale: 2 } }, agents: 10, seed: 5 };
      const res = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
      const calls: number[] = res.body.profile.calls;
      assert.equal(calls.length, 4);
      // Each recorded call twice; a copy moved by up to 30 s may cross into the next quarter-hour.
      assert.ok(calls.every((c) => Math.abs(c - 100) <= 4), `each quarter-hour ~100: ${calls}`);
      assert.equal(res.body.totals.offered, 400);
      assert.equal(res.body.observed.calls, 200);
      assert.deepEqual(res.body.observed.counts['egou-double11'].menu, { 'options.1': 100, 'options.0': 60, 'options.4': 40 });
      assert.deepEqual(res.body.observed.counts['egou-double11'].orderStatus, { hangup: 100 });
      const t = res.body.totals;
      assert.ok(Math.abs(t.deflected - 200) < 45 && Math.abs(t.queued - 120) < 40 && Math.abs(t.voicemails - 80) < 35, JSON.stringify(t));
      assert.equal(t.deflected + t.queued + t.voicemails, 400, 'every caller ends somewhere');
      // Given shares win node by node: everyone presses 0.
      const given = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body: { ...body, choices: { menu: { '0': 1 } } } });
      assert.equal(given.status, 200);
      assert.deepEqual([given.body.totals.queued, given.body.totals.deflected], [400, 0]);
      // Callers offered a callback while waiting (egou-orders offers it) take it: fewer are answered live.
      const offer = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body: { ...body, agents: 2, patienceSeconds: 600, callbackAcceptance: 0.9 } });
      const noOffer = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body: { ...body, agents: 2, patienceSeconds: 600 } });
      assert.equal(offer.status, 200);
      assert.ok(offer.body.totals.callbacksCreated > noOffer.body.totals.callbacksCreated + 20, `callbacks ${offer.body.totals.callbacksCreated} vs ${noOffer.body.totals.callbacksCreated}`);
      // A period with no calls cannot be replayed: 422 naming the profile.
      const empty = await api.request('POST', '/planning/simulate', {
        key: a.keys.supervisor,
        body: { ...body, profile: { intervalMinutes: 15, replay: { since: '2026-10-01T00:00:00+08:00', until: '2026-10-01T01:00:00+08:00' } } },
      });
      assert.equal(empty.status, 422);
      assert.deepEqual(empty.body.error.problems.map((p: { path: string }) => p.path), ['profile.replay']);
    });

    test("simulated agents hold the skills the flow's queue nodes ask for (the normal flow's payment branch wants 'payment')", async () => {
      const body = { line: 'E購網', flow: 'egou-normal', choices: { menu: { '3': 1 } }, profile: { intervalMinutes: 30, calls: [40, 40] }, agents: 10, patienceSeconds: 300, seed: 2 };
      const res = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assert.ok(res.body.totals.answered > 0.9 * res.body.totals.queued, `answered ${res.body.totals.answered} of ${res.body.totals.queued}`);
    });

    test('a staffing plan (agents on duty per interval) staffs the step; a plan of the wrong length is 422 naming agents', async () => {
      const base = { line: 'E購網', choices: D11_CHOICES, profile: PROFILE, patienceSeconds: 120, seed: 4 };
      const flat = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body: { ...base, agents: 5 } });
      const plan = [5, 5, 5, 5, 40, 40, 40, 40, 40, 40, 40, 40];
      const planned = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body: { ...base, agents: plan } });
      assert.equal(planned.status, 200, JSON.stringify(planned.body).slice(0, 300));
      assert.equal(planned.body.totals.offered, flat.body.totals.offered, 'the same callers');
      assert.ok(planned.body.intervals[8].serviceLevel > flat.body.intervals[8].serviceLevel + 0.2, `the surge staffed: ${planned.body.intervals[8].serviceLevel} vs ${flat.body.intervals[8].serviceLevel}`);
      assert.ok(Math.abs(planned.body.intervals[1].serviceLevel - flat.body.intervals[1].serviceLevel) < 0.15, 'before the step, the same five');
      const short = await api.request('POST', '/planning/simulate', { key: a.keys.supervisor, body: { ...base, agents: [5, 5] } });
      assert.equal(short.status, 422);
      assert.deepEqual(short.body.error.problems.map((p: { path: string }) => p.path), ['agents']);
    });

    test('missing or bad shares are 422 naming the node; an unknown line is 404', async () => {
      const body = { line: 'E購網', choices: { ...D11_CHOICES, payment: undefined }, profile: PROFILE, agents: 10 };
      const res = await api.request('POST', '/planning/simulate', { key: a.keys.admin, body: { ...body, choices: { menu: D11_CHOICES.menu, orderStatus: D11_CHOICES.orderStatus, returns: D11_CHOICES.returns } } });
      assert.equal(res.status, 422);
      assert.deepEqual(res.body.error.problems.map((p: { path: string }) => p.path), ['choices.payment']);
      const sum = await api.request('POST', '/planning/simulate', { key: a.keys.admin, body: { ...body, choices: { ...D11_CHOICES, payment: { hangup: 0.9, '1': 0.5 } } } });
      assert.equal(sum.status, 422);
      assert.match(sum.body.error.message, /sum to 1\.4/);
      assert.equal((await api.request('POST', '/planning/simulate', { key: a.keys.admin, body: { ...body, line: 'nowhere' } })).status, 404);
      // A profile too big to run in a request is refused up front, not run for hours.
      const huge = await api.request('POST', '/planning/simulate', { key: a.keys.admin, body: { ...body, choices: D11_CHOICES, profile: { intervalMinutes: 30, calls: [1e9] } } });
      assert.equal(huge.status, 422);
      assert.deepEqual(huge.body.error.problems.map((p: { path: string }) => p.path), ['profile']);
      const ahts = await api.request('POST', '/planning/simulate', { key: a.keys.admin, body: { ...body, choices: D11_CHOICES, ahtSeconds: [180, 200] } });
      assert.equal(ahts.status, 422);
      assert.deepEqual(ahts.body.error.problems.map((p: { path: string }) => p.path), ['ahtSeconds']);
      const perInterval = await api.request('POST', '/planning/simulate', { key: a.keys.admin, body: { ...body, choices: D11_CHOICES, ahtSeconds: new Array(12).fill(150) } });
      assert.equal(perInterval.status, 200, JSON.stringify(perInterval.body).slice(0, 300));
    });
  },
  { kinds: ['pglite'] },
);
