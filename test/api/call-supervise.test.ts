/**
 * /calls/{id}/supervise over the API on both backends: the route layer — body validation
 * (mode one of listen/whisper/barge, default listen), admins and supervisors only (agents
 * 403), store errors mapped (not in conversation 404, taken 409), audit of join, mode change
 * and end, 503 without a queue runtime. The supervision itself (ringing the phone, mixing the
 * audio) runs for real in test/acd-live/supervise.test.ts; here a registry with the same
 * contract stands in for it, so each answer is checked against what the route was given.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { SupervisorView, SuperviseMode } from '../../src/acd/live/supervision.ts';
import type { SupervisionLike } from '../../src/api/acd.ts';
import { ConflictError, NotFoundError } from '../../src/store/errors.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { LiveAgents, startAcdApi } from './acd-harness.ts';

/** The contract of src/acd/live/supervision.ts over a set of calls in conversation. */
class Registry implements SupervisionLike {
  readonly on = new Map<string, SupervisorView>();
  readonly calls = new Set<string>();
  readonly actors: string[] = [];
  async supervise(callId: string, extension: string, mode: SuperviseMode, actor: string): Promise<SupervisorView> {
    if (!this.calls.has(callId)) throw new NotFoundError('call in conversation', callId);
    const cur = this.on.get(callId);
    if (cur && cur.extension !== extension) throw new ConflictError(`call ${callId} is already supervised by ${cur.extension}`, undefined);
    this.actors.push(actor);
    const view = { callId, extension, mode, since: cur?.since ?? 1_000 };
    this.on.set(callId, view);
    return view;
  }
  async stop(callId: string): Promise<void> {
    if (!this.on.delete(callId)) throw new NotFoundError('supervisor on call', callId);
  }
  get(callId: string): SupervisorView | undefined {
    return this.on.get(callId);
  }
}

eachBackend('API supervise', (ctx) => {
  let api: TestApi;
  let bare: TestApi;
  let t: TestTenant;
  let other: TestTenant;
  const reg = new Registry();
  const call = randomUUID();

  before(async () => {
    t = await makeTenant(ctx, 'sup');
    other = await makeTenant(ctx, 'sup-other');
    reg.calls.add(call);
    const live = new LiveAgents(() => ctx.clock.wallNow());
    api = await startAcdApi(ctx, { acd: { ...live.acd, supervision: (tenantId) => (tenantId === t.id ? reg : undefined) } });
    bare = await startAcdApi(ctx);
  });
  after(async () => {
    await api?.close();
    await bare?.close();
  });

  test('join (listen by default), change mode, show, end; each audited', async () => {
    const joined = await api.request('POST', `/calls/${call}/supervise`, { key: t.keys.supervisor, body: { extension: '1004' } });
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.deepEqual(joined.body, { callId: call, extension: '1004', mode: 'listen', since: 1000 });
    assert.match(reg.actors[0]!, /^key:/, "the route passes the key's actor");
    const barge = await api.request('POST', `/calls/${call}/supervise`, { key: t.keys.admin, body: { extension: '1004', mode: 'barge' } });
    assert.equal(barge.body.mode, 'barge');
    assert.deepEqual((await api.request('GET', `/calls/${call}/supervise`, { key: t.keys.supervisor })).body, { callId: call, extension: '1004', mode: 'barge', since: 1000 });
    assert.equal((await api.request('DELETE', `/calls/${call}/supervise`, { key: t.keys.supervisor })).status, 204);
    assert.equal((await api.request('GET', `/calls/${call}/supervise`, { key: t.keys.supervisor })).status, 404);
    assert.equal((await api.request('DELETE', `/calls/${call}/supervise`, { key: t.keys.supervisor })).status, 404, 'nobody to hang up');
    const audit = await api.request('GET', `/audit?subject=call:${call}`, { key: t.keys.admin });
    assert.deepEqual(audit.body.map((e: { action: string }) => e.action).sort(), ['call.supervise', 'call.supervise-end', 'call.supervise-mode']);
  });

  test('bad bodies 400, agents 403, not in conversation 404, a second supervisor 409, no runtime 503', async () => {
    for (const body of [{}, { extension: '1004', mode: 'spy' }, { extension: 'a b' }, { extension: '1004', extra: 1 }]) {
      const res = await api.request('POST', `/calls/${call}/supervise`, { key: t.keys.supervisor, body });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await api.request('POST', `/calls/${call}/supervise`, { key: t.keys.agent, body: { extension: '1004' } })).status, 403);
    assert.equal((await api.request('POST', `/calls/${randomUUID()}/supervise`, { key: t.keys.supervisor, body: { extension: '1004' } })).status, 404);
    assert.equal((await api.request('POST', `/calls/${call}/supervise`, { key: t.keys.supervisor, body: { extension: '1004' } })).status, 200);
    const second = await api.request('POST', `/calls/${call}/supervise`, { key: t.keys.supervisor, body: { extension: '1003' } });
    assert.equal(second.status, 409);
    assert.match(second.body.error.message, /already supervised by 1004/);
    assert.equal((await api.request('POST', `/calls/${call}/supervise`, { key: other.keys.supervisor, body: { extension: '1004' } })).status, 503, "another tenant's node runs no runtime for it");
    assert.equal((await bare.request('POST', `/calls/${call}/supervise`, { key: t.keys.supervisor, body: { extension: '1004' } })).status, 503);
  });
});
