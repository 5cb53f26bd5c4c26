/**
 * Agent edits through the API reach live routing (issue 4 §1): the real AgentRegistry of the
 * queue runtime over the real store, behind the API the way src/app.ts wires it. Creating an
 * agent adds him to the registry, changing his skills or groups changes what the router sees
 * at once (his state untouched, the engine told to route again), removing him takes him out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log.ts';
import { Writable } from 'node:stream';
import { AgentRegistry } from '../../src/acd/live/agent-registry.ts';
import { acdFromRegistries } from '../../src/api/acd.ts';
import type { AgentSnapshot } from '../../src/acd/types.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { agentEventsRepository } from '../../src/store/repositories/agent-events.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { startAcdApi } from './acd-harness.ts';

eachBackend('API agent edits reach the live registry', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  let registry: AgentRegistry;
  const rerouted: AgentSnapshot[] = [];

  before(async () => {
    t = await makeTenant(ctx, 'agent-edits');
    const db = ctx.store().db;
    registry = new AgentRegistry({
      tenantId: t.id,
      agents: agentsRepository(db, ctx.clock),
      events: agentEventsRepository(db, ctx.clock),
      clock: ctx.clock,
      log: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    });
    await registry.load();
    api = await startAcdApi(ctx, {
      acd: {
        ...acdFromRegistries((tenantId) => (tenantId === t.id ? registry : undefined)),
        agentsChanged: async (tenantId) => {
          if (tenantId === t.id) rerouted.push(...(await registry.refresh()));
        },
      },
    });
  });
  after(async () => {
    registry?.close();
    await api?.close();
  });

  test('created, re-skilled and removed through the API: the router sees each change, the state stays', async () => {
    const created = await api.request('POST', '/agents', { key: t.keys.admin, body: { extension: '3001', password: 'sip-secret-3001', skills: { orders: 3 }, groups: ['main'] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.deepEqual(registry.get(id)?.skills, { orders: 3 }, 'a new agent is in the registry');
    await registry.phoneOnline('3001');
    assert.equal(registry.get(id)?.state, 'available');

    const patched = await api.request('PATCH', '/agents/3001', { key: t.keys.supervisor, body: { skills: { orders: 7, returns: 2 }, groups: ['backup'] } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const live = registry.get(id)!;
    assert.deepEqual(live.skills, { orders: 7, returns: 2 }, 'new skills in the live snapshot');
    assert.deepEqual(live.groups, ['backup'], 'new groups in the live snapshot');
    assert.equal(live.state, 'available', 'still logged in and available');
    assert.deepEqual(rerouted.map((a) => a.id), [id], 'the engine is told to route again for him, once');

    const again = await api.request('PATCH', '/agents/3001', { key: t.keys.supervisor, body: { skills: { orders: 7, returns: 2 } } });
    assert.equal(again.status, 200);
    assert.equal(rerouted.length, 1, 'an edit that changes nothing reroutes nothing');

    const removed = await api.request('DELETE', '/agents/3001', { key: t.keys.admin });
    assert.equal(removed.status, 204);
    assert.equal(registry.get(id), undefined, 'a removed agent leaves routing');
    assert.equal(registry.byExt('3001'), undefined);
  });
});
