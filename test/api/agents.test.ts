/**
 * Agents over the API on both backends: created with a SIP password that never comes back,
 * named by id or extension, skills checked field by field; admins manage, supervisors change
 * skills/groups and states but not credentials, an agent's key (named after its extension)
 * reads and changes only its own state; the state goes through the real agent state machine
 * (409 when it refuses), 503 on a node without the queue runtime; tenants never see each
 * other's agents.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentEventsRepository } from '../../src/store/repositories/agent-events.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { agentKey, LiveAgents, startAcdApi } from './acd-harness.ts';

const PASSWORD = 'sip-secret-8841';

eachBackend('API agents', (ctx) => {
  let api: TestApi;
  let plain: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  let key2001: string;
  let key2002: string;
  const live = new LiveAgents(() => ctx.clock.wallNow());
  const ids: Record<string, string> = {};

  before(async () => {
    api = await startAcdApi(ctx, { acd: live.acd });
    plain = await startAcdApi(ctx);
    a = await makeTenant(ctx, 'agents-a');
    b = await makeTenant(ctx, 'agents-b');
    for (const ext of ['2001', '2002']) {
      const res = await api.request('POST', '/agents', {
        key: a.keys.admin,
        body: { extension: ext, password: PASSWORD, displayName: `Agent ${ext}`, skills: { orders: 7 }, groups: ['tier1'] },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids[ext] = res.body.id;
    }
    key2001 = await agentKey(ctx, a.id, '2001');
    key2002 = await agentKey(ctx, a.id, '2002');
  });
  after(async () => {
    await api?.close();
    await plain?.close();
  });

  test('an agent is created with skills and a SIP password that never comes back', async () => {
    const res = await api.request('GET', '/agents/2001', { key: a.keys.admin });
    assert.equal(res.status, 200);
    assert.equal(res.body.extension, '2001');
    assert.deepEqual(res.body.skills, { orders: 7 });
    assert.deepEqual(res.body.groups, ['tier1']);
    assert.equal(res.body.sip, true, 'the agent can register a phone');
    assert.equal(res.body.state.state, 'offline', 'no phone registered yet');
    const all = JSON.stringify((await api.request('GET', '/agents', { key: a.keys.admin })).body);
    assert.ok(!all.includes(PASSWORD), 'the password is never returned');
    assert.ok(!/ha1/i.test(all), 'nor its HA1');
    const byId = await api.request('GET', `/agents/${ids['2001']}`, { key: a.keys.supervisor });
    assert.equal(byId.status, 200);
    assert.equal(byId.body.extension, '2001', 'named by id as well as by extension');
  });

  test('bad bodies are refused naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ extension: 'abc' }, /^extension: /],
      [{ extension: '2009', skills: { orders: 11 } }, /^skills\.orders: /],
      [{ extension: '2009', groups: 'tier1' }, /^groups: /],
      [{ extension: '2009', password: 'x' }, /^password: /],
      [{ extension: '2009', colour: 'red' }, /^colour: unknown field/],
    ];
    for (const [body, message] of cases) {
      const res = await api.request('POST', '/agents', { key: a.keys.admin, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
    const dup = await api.request('POST', '/agents', { key: a.keys.admin, body: { extension: '2001' } });
    assert.equal(dup.status, 409, 'an extension is unique in the tenant');
  });

  test('supervisors change skills and groups but not credentials; only admins create and remove', async () => {
    const ok = await api.request('PATCH', '/agents/2002', { key: a.keys.supervisor, body: { skills: { orders: 3, returns: 9 }, groups: ['tier2'] } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.skills, { orders: 3, returns: 9 });
    assert.deepEqual(ok.body.groups, ['tier2']);
    const pw = await api.request('PATCH', '/agents/2002', { key: a.keys.supervisor, body: { password: 'another-one' } });
    assert.equal(pw.status, 403, 'a supervisor may not set a SIP password');
    assert.equal((await api.request('POST', '/agents', { key: a.keys.supervisor, body: { extension: '2077' } })).status, 403);
    assert.equal((await api.request('DELETE', '/agents/2002', { key: a.keys.supervisor })).status, 403);
    assert.equal((await api.request('PATCH', '/agents/2002', { key: key2002, body: { skills: { orders: 10 } } })).status, 403, 'an agent may not change its skills');
    const pwAdmin = await api.request('PATCH', '/agents/2002', { key: a.keys.admin, body: { password: 'another-one' } });
    assert.equal(pwAdmin.status, 200);
    assert.ok(!JSON.stringify(pwAdmin.body).includes('another-one'));
    const bad = await api.request('PATCH', '/agents/2002', { key: a.keys.admin, body: { skills: { orders: 0 } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^skills\.orders: /);
  });

  test("an agent's key sees and changes only its own agent; a key naming no agent sees nothing", async () => {
    const list = await api.request('GET', '/agents', { key: key2001 });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.map((x: { extension: string }) => x.extension), ['2001']);
    assert.equal((await api.request('GET', '/agents/2002', { key: key2001 })).status, 403);
    assert.equal((await api.request('PUT', '/agents/2002/state', { key: key2001, body: { state: 'break', reason: 'lunch' } })).status, 403);
    const stranger = await api.request('GET', '/agents', { key: a.keys.agent });
    assert.equal(stranger.status, 403, 'the key "agent" names no agent');
    assert.match(stranger.body.error.message, /names no agent/);
  });

  test("a key made for an agent's user (POST /keys user) is that agent's whatever its name; a key may not outrank its user", async () => {
    const made = await api.request('POST', '/keys', { key: a.keys.admin, body: { name: 'front desk tablet', role: 'agent', user: '2002' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(typeof made.body.apiKey.userId, 'string');
    const tablet = made.body.key as string;
    const list = await api.request('GET', '/agents', { key: tablet });
    assert.deepEqual(list.body.map((x: { extension: string }) => x.extension), ['2002'], 'its user is agent 2002');
    assert.equal((await api.request('GET', '/agents/2001', { key: tablet })).status, 403);
    const over = await api.request('POST', '/keys', { key: a.keys.admin, body: { name: 'sneaky', role: 'admin', user: '2002' } });
    assert.equal(over.status, 400, 'an admin key for an agent user');
    assert.match(over.body.error.message, /role/);
    assert.equal((await api.request('POST', '/keys', { key: a.keys.admin, body: { name: 'x', role: 'agent', user: '9999' } })).status, 404);
    assert.equal((await api.request('POST', '/keys', { key: b.keys.admin, body: { name: 'x', role: 'agent', user: '2002' } })).status, 404, "another tenant's agent");
  });

  test('state changes go through the agent state machine: break with a reason, back to available, 409 when refused', async () => {
    const noRuntime = await api.request('PUT', '/agents/2001/state', { key: a.keys.supervisor, body: { state: 'break', reason: 'lunch' } });
    assert.equal(noRuntime.status, 503, 'no queue runtime for this tenant on the node');
    live.addOffline(a.id, { id: ids['2002']!, extension: '2002' });
    const never = await api.request('PUT', '/agents/2001/state', { key: a.keys.supervisor, body: { state: 'break', reason: 'lunch' } });
    assert.equal(never.status, 409, 'an agent whose phone never registered is offline');
    assert.match(never.body.error.message, /offline/);
    live.addOffline(a.id, { id: ids['2001']!, extension: '2001' });
    const refused = await api.request('PUT', '/agents/2001/state', { key: key2001, body: { state: 'available' } });
    assert.equal(refused.status, 409, 'an offline agent cannot go available by API: its phone must register');
    live.register(a.id, { id: ids['2001']!, extension: '2001' });
    const brk = await api.request('PUT', '/agents/2001/state', { key: key2001, body: { state: 'break', reason: 'lunch' } });
    assert.equal(brk.status, 200, JSON.stringify(brk.body));
    assert.deepEqual([brk.body.state.state, brk.body.state.reason, brk.body.state.source], ['break', 'lunch', 'live']);
    const shown = await api.request('GET', '/agents/2001', { key: a.keys.supervisor });
    assert.equal(shown.body.state.state, 'break');
    const back = await api.request('PUT', `/agents/${ids['2001']}/state`, { key: a.keys.supervisor, body: { state: 'available' } });
    assert.equal(back.status, 200);
    assert.equal(back.body.state.state, 'available');
    const bad = await api.request('PUT', '/agents/2001/state', { key: a.keys.supervisor, body: { state: 'on-call' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^state: /);
  });

  test('without the queue runtime the state comes from the agent log and changes are 503', async () => {
    await agentEventsRepository(ctx.store().db, ctx.clock).append(a.id, { agentId: ids['2002']!, at: new Date(ctx.clock.wallNow()), state: 'break', reason: 'training' });
    const res = await plain.request('GET', '/agents/2002', { key: a.keys.admin });
    assert.deepEqual([res.body.state.state, res.body.state.reason, res.body.state.source], ['break', 'training', 'log']);
    const put = await plain.request('PUT', '/agents/2002/state', { key: a.keys.admin, body: { state: 'available' } });
    assert.equal(put.status, 503);
  });

  test("tenants never see each other's agents", async () => {
    assert.deepEqual((await api.request('GET', '/agents', { key: b.keys.admin })).body, []);
    assert.equal((await api.request('GET', '/agents/2001', { key: b.keys.admin })).status, 404);
    assert.equal((await api.request('GET', `/agents/${ids['2001']}`, { key: b.keys.admin })).status, 404);
    assert.equal((await api.request('PATCH', `/agents/${ids['2001']}`, { key: b.keys.admin, body: { skills: {} } })).status, 404);
    assert.equal((await api.request('PUT', `/agents/${ids['2001']}/state`, { key: b.keys.supervisor, body: { state: 'available' } })).status, 404);
    assert.equal((await api.request('DELETE', `/agents/${ids['2001']}`, { key: b.keys.admin })).status, 404);
    // Tenant B may have its own 2001.
    assert.equal((await api.request('POST', '/agents', { key: b.keys.admin, body: { extension: '2001' } })).status, 201);
  });

  test('an admin removes an agent', async () => {
    const res = await api.request('POST', '/agents', { key: a.keys.admin, body: { extension: '2099' } });
    assert.equal(res.status, 201);
    assert.equal(res.body.sip, false, 'no password: no phone yet');
    assert.equal((await api.request('DELETE', '/agents/2099', { key: a.keys.admin })).status, 204);
    assert.equal((await api.request('GET', '/agents/2099', { key: a.keys.admin })).status, 404);
  });
});
