/**
 * API access on both stores: 401 without a valid key, 403 by role, and tenant isolation —
 * tenant A's keys never see tenant B's lines, numbers, flows, calls, keys or
 * announcements (404 by id or name, absent from lists). Tenant B's data is made through
 * the API itself (and the calls repository for a call record), so both sides are real.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callsRepository } from '../../src/store/repositories/calls.ts';
import { eachBackend } from '../store/backends.ts';
import { helloFlow } from './fixtures.ts';
import { makeTenant, startTestApi, type TestApi, type TestTenant } from './harness.ts';

eachBackend('API auth and tenant isolation', (ctx) => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  const bData = { lineId: '', number: '', flowId: '', keyId: '', callId: '', sipCallId: '' };

  before(async () => {
    api = await startTestApi(ctx);
    a = await makeTenant(ctx, 'a');
    b = await makeTenant(ctx, 'b');
    const n = String(Date.now() % 1e9).padStart(9, '0');
    bData.number = `4009${n}`;
    const flow = await api.request('POST', '/flows?publish=true', { key: b.keys.admin, body: helloFlow('b-main') });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    bData.flowId = flow.body.flow.id;
    const line = await api.request('POST', '/lines', {
      key: b.keys.admin,
      body: { name: 'B hotline', timeZone: 'Asia/Taipei', numbers: [bData.number], flow: 'b-main' },
    });
    assert.equal(line.status, 201, JSON.stringify(line.body));
    bData.lineId = line.body.id;
    const set = await api.request('PUT', `/lines/${bData.number}/announcements/banner`, { key: b.keys.supervisor, body: { text: 'B 的公告' } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const key = await api.request('POST', '/keys', { key: b.keys.admin, body: { name: 'b-extra', role: 'agent' } });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    bData.keyId = key.body.apiKey.id;
    bData.callId = crypto.randomUUID();
    bData.sipCallId = `b-call-${bData.callId}@198.51.100.7`;
    await callsRepository(ctx.store().db, ctx.clock).start({
      id: bData.callId,
      tenantId: b.id,
      lineId: bData.lineId,
      caller: '0912345678',
      dialled: bData.number,
      legs: [{ role: 'caller', sipCallId: bData.sipCallId }],
      flowId: bData.flowId,
      flowVersion: 1,
      startedAt: new Date(ctx.clock.wallNow()),
    });
  });
  after(async () => {
    await api?.close();
  });

  test('no key, a malformed key, an unknown key and a revoked key are all 401', async () => {
    const none = await api.request('GET', '/lines');
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    assert.equal(none.headers.get('www-authenticate'), 'Bearer', 'a 401 says which scheme to use');
    assert.equal((await api.request('GET', '/lines', { key: 'nonsense' })).status, 401);
    assert.equal((await api.request('GET', '/lines', { key: `sl_000000000000_${'A'.repeat(43)}` })).status, 401);
    assert.equal((await api.request('GET', '/lines', { headers: { authorization: `Basic ${a.keys.admin}` } })).status, 401, 'only Bearer');
    const created = await api.request('POST', '/keys', { key: a.keys.admin, body: { name: 'short-lived', role: 'agent' } });
    assert.equal((await api.request('GET', '/lines', { key: created.body.key })).status, 200, 'the new key works');
    assert.equal((await api.request('DELETE', `/keys/${created.body.apiKey.id}`, { key: a.keys.admin })).status, 204);
    assert.equal((await api.request('GET', '/lines', { key: created.body.key })).status, 401, 'a revoked key is refused');
  });

  test('health and the OpenAPI document need no key', async () => {
    assert.equal((await api.request('GET', '/health')).status, 200);
    assert.equal((await api.request('GET', '/openapi.json')).status, 200);
  });

  test('roles: 403 for what a role may not do, 200 for what it may', async () => {
    const cases: Array<[string, string, keyof TestTenant['keys'], number, unknown?]> = [
      ['GET', '/keys', 'agent', 403],
      ['GET', '/keys', 'supervisor', 403],
      ['GET', '/keys', 'admin', 200],
      ['GET', '/users', 'supervisor', 403],
      ['GET', '/users', 'admin', 200],
      ['GET', '/audit', 'agent', 403],
      ['GET', '/audit', 'supervisor', 200],
      ['GET', '/schedules', 'agent', 403],
      ['GET', '/schedules', 'supervisor', 200],
      ['GET', '/lines', 'agent', 200],
      ['GET', '/flows', 'agent', 200],
      ['GET', '/calls', 'agent', 200],
      ['POST', '/flows', 'agent', 403, helloFlow('agent-flow')],
      ['POST', '/lines', 'supervisor', 403, { name: 'x', timeZone: 'Asia/Taipei' }],
      ['POST', '/tenants', 'supervisor', 403, { slug: 'nope', name: 'Nope' }],
    ];
    for (const [method, path, role, want, body] of cases) {
      const res = await api.request(method, path, { key: a.keys[role], ...(body !== undefined ? { body } : {}) });
      assert.equal(res.status, want, `${role} ${method} ${path}: ${JSON.stringify(res.body)}`);
      if (want === 403) assert.equal(res.body.error.code, 'forbidden');
    }
  });

  test('a supervisor may attach a flow to a line but not rename it; an agent may not set announcements', async () => {
    await api.request('POST', '/flows', { key: a.keys.supervisor, body: helloFlow('a-main') });
    const line = await api.request('POST', '/lines', { key: a.keys.admin, body: { name: 'A line', timeZone: 'Asia/Taipei' } });
    assert.equal(line.status, 201, JSON.stringify(line.body));
    const rename = await api.request('PATCH', `/lines/${line.body.id}`, { key: a.keys.supervisor, body: { name: 'renamed' } });
    assert.equal(rename.status, 403);
    const attach = await api.request('PATCH', `/lines/${line.body.id}`, { key: a.keys.supervisor, body: { flow: 'a-main' } });
    assert.equal(attach.status, 200, JSON.stringify(attach.body));
    assert.ok(attach.body.flowId, 'the flow is attached');
    const announce = await api.request('PUT', `/lines/${line.body.id}/announcements/banner`, { key: a.keys.agent, body: { text: 'x' } });
    assert.equal(announce.status, 403);
  });

  test("tenant A sees none of tenant B's lines or numbers", async () => {
    const lines = await api.request('GET', '/lines', { key: a.keys.admin });
    assert.ok(!lines.body.some((l: { id: string }) => l.id === bData.lineId), "B's line is not in A's list");
    for (const ref of [bData.lineId, bData.number]) {
      const res = await api.request('GET', `/lines/${ref}`, { key: a.keys.admin });
      assert.equal(res.status, 404, `line ${ref}`);
      assert.equal(res.body.error.code, 'not_found');
      assert.equal((await api.request('GET', `/lines/${ref}/numbers`, { key: a.keys.admin })).status, 404);
      assert.equal((await api.request('PATCH', `/lines/${ref}`, { key: a.keys.admin, body: { name: 'stolen' } })).status, 404);
    }
    assert.equal((await api.request('DELETE', `/numbers/${bData.number}`, { key: a.keys.admin })).status, 404);
    assert.equal((await api.request('GET', `/lines/${bData.number}`, { key: b.keys.agent })).status, 200, 'B still has it');
  });

  test("tenant A sees none of tenant B's flows", async () => {
    const flows = await api.request('GET', '/flows', { key: a.keys.admin });
    assert.ok(!flows.body.some((f: { id: string }) => f.id === bData.flowId), "B's flow is not in A's list");
    for (const ref of [bData.flowId, 'b-main']) {
      assert.equal((await api.request('GET', `/flows/${ref}`, { key: a.keys.admin })).status, 404, `flow ${ref}`);
      assert.equal((await api.request('GET', `/flows/${ref}/versions`, { key: a.keys.admin })).status, 404);
      assert.equal((await api.request('GET', `/flows/${ref}/versions/1`, { key: a.keys.admin })).status, 404);
      assert.equal((await api.request('POST', `/flows/${ref}/publish`, { key: a.keys.admin })).status, 404);
    }
    assert.equal((await api.request('GET', '/flows/b-main', { key: b.keys.agent })).status, 200, 'B still has it');
  });

  test("tenant A sees none of tenant B's calls, by id or by SIP Call-ID", async () => {
    const calls = await api.request('GET', '/calls', { key: a.keys.admin });
    assert.ok(!calls.body.some((c: { id: string }) => c.id === bData.callId), "B's call is not in A's list");
    assert.equal((await api.request('GET', `/calls/${bData.callId}`, { key: a.keys.admin })).status, 404);
    assert.equal((await api.request('GET', `/calls/${encodeURIComponent(bData.sipCallId)}`, { key: a.keys.admin })).status, 404);
    const own = await api.request('GET', `/calls/${encodeURIComponent(bData.sipCallId)}`, { key: b.keys.agent });
    assert.equal(own.status, 200, 'B finds its call by SIP Call-ID');
    assert.equal(own.body.id, bData.callId);
  });

  test("tenant A sees none of tenant B's keys and cannot revoke them", async () => {
    const keys = await api.request('GET', '/keys', { key: a.keys.admin });
    assert.ok(!keys.body.some((k: { id: string }) => k.id === bData.keyId), "B's key is not in A's list");
    assert.ok(keys.body.every((k: { tenantId: string }) => k.tenantId === a.id), 'only A keys');
    assert.equal((await api.request('DELETE', `/keys/${bData.keyId}`, { key: a.keys.admin })).status, 404);
    const bKeys = await api.request('GET', '/keys', { key: b.keys.admin });
    const kept = bKeys.body.find((k: { id: string }) => k.id === bData.keyId);
    assert.equal(kept?.revokedAt, null, "B's key was not revoked");
  });

  test("tenant A sees none of tenant B's announcements and cannot set them", async () => {
    for (const path of [`/lines/${bData.number}/announcements`, `/lines/${bData.number}/announcements/banner`, `/lines/${bData.lineId}/announcements/banner/presets`]) {
      assert.equal((await api.request('GET', path, { key: a.keys.admin })).status, 404, path);
    }
    const put = await api.request('PUT', `/lines/${bData.lineId}/announcements/banner`, { key: a.keys.admin, body: { text: 'hijacked' } });
    assert.equal(put.status, 404);
    const state = await api.request('GET', `/lines/${bData.lineId}/announcements/banner`, { key: b.keys.agent });
    assert.equal(state.body.text, 'B 的公告', "B's text is untouched");
  });

  test('a key sees only its own tenant; only operator admins list all and create tenants', async () => {
    const own = await api.request('GET', '/tenants', { key: a.keys.admin });
    assert.deepEqual(own.body.map((t: { id: string }) => t.id), [a.id]);
    const refused = await api.request('POST', '/tenants', { key: a.keys.admin, body: { slug: `x-${Date.now()}`, name: 'X' } });
    assert.equal(refused.status, 403, 'A is not the operator tenant');

    const op = await makeTenant(ctx, 'op', true);
    const all = await api.request('GET', '/tenants', { key: op.keys.admin });
    const ids = all.body.map((t: { id: string }) => t.id);
    assert.ok(ids.includes(a.id) && ids.includes(b.id) && ids.includes(op.id), 'the operator admin sees every tenant');
    const supervisor = await api.request('GET', '/tenants', { key: op.keys.supervisor });
    assert.deepEqual(supervisor.body.map((t: { id: string }) => t.id), [op.id], 'an operator supervisor sees only its own');

    const slug = `new-${process.pid}-${Date.now() % 1e6}`;
    const made = await api.request('POST', '/tenants', { key: op.keys.admin, body: { slug, name: 'New Co' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.tenant.slug, slug);
    const mine = await api.request('GET', '/tenants', { key: made.body.adminKey });
    assert.deepEqual(mine.body.map((t: { slug: string }) => t.slug), [slug], "the new tenant's admin key works and sees only it");
    const dup = await api.request('POST', '/tenants', { key: op.keys.admin, body: { slug, name: 'Again' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'conflict');
  });
});
