/**
 * Flows over the API: push creates versions, an invalid document is refused with 422 and
 * the path of each problem, validate checks without storing, publish and rollback move the
 * published version — and each tells the runtime and puts a flow.published event on the bus.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallEvent } from '../../src/events/bus.ts';
import { eachBackend } from '../store/backends.ts';
import { brokenFlow, helloFlow } from './fixtures.ts';
import { makeTenant, RecordingRuntime, startTestApi, type TestApi, type TestTenant } from './harness.ts';

eachBackend('API flows', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  const runtime = new RecordingRuntime();
  const events: CallEvent[] = [];

  before(async () => {
    api = await startTestApi(ctx, { runtime });
    t = await makeTenant(ctx, 'flows');
    api.bus.subscribe(t.id, (e) => events.push(e));
  });
  after(async () => {
    await api?.close();
  });

  test('an invalid flow is refused with 422 and each problem at its node path; nothing is stored', async () => {
    const res = await api.request('POST', '/flows', { key: t.keys.supervisor, body: brokenFlow('broken') });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'unprocessable');
    assert.equal(typeof res.body.error.message, 'string');
    const paths = res.body.error.problems.map((p: { path: string }) => p.path).sort();
    assert.deepEqual(paths, ['nodes.lost', 'nodes.menu1.options.3']);
    for (const p of res.body.error.problems) assert.ok(p.message.length > 0, 'each problem says what is wrong');
    assert.equal((await api.request('GET', '/flows/broken', { key: t.keys.agent })).status, 404, 'not stored');
  });

  test('a schema mistake names its field', async () => {
    const doc = helloFlow('typo') as { nodes: Record<string, Record<string, unknown>> };
    doc.nodes['hello']!['nxt'] = 'bye';
    const res = await api.request('POST', '/flows', { key: t.keys.admin, body: doc });
    assert.equal(res.status, 422);
    assert.ok(res.body.error.problems.some((p: { path: string }) => p.path === 'nodes.hello.nxt'), JSON.stringify(res.body.error.problems));
  });

  test('validate answers ok/problems/warnings without storing', async () => {
    const bad = await api.request('POST', '/flows/validate', { key: t.keys.agent, body: brokenFlow('v-broken') });
    assert.equal(bad.status, 200);
    assert.equal(bad.body.ok, false);
    assert.ok(bad.body.problems.some((p: { path: string; node?: string }) => p.path === 'nodes.menu1.options.3' && p.node === 'menu1'));
    const good = await api.request('POST', '/flows/validate', { key: t.keys.agent, body: helloFlow('v-good') });
    assert.deepEqual({ ok: good.body.ok, problems: good.body.problems }, { ok: true, problems: [] });
    assert.ok(Array.isArray(good.body.warnings));
    assert.equal((await api.request('GET', '/flows/v-good', { key: t.keys.agent })).status, 404, 'validate stores nothing');
  });

  test('push, push again, publish, rollback — with runtime calls and events', async () => {
    const v1 = await api.request('POST', '/flows?comment=first', { key: t.keys.supervisor, body: helloFlow('main', '第一版') });
    assert.equal(v1.status, 201, JSON.stringify(v1.body));
    assert.equal(v1.body.version.version, 1);
    assert.equal(v1.body.version.comment, 'first');
    assert.equal(v1.body.flow.publishedVersion, null, 'a push is a draft');
    const flowId = v1.body.flow.id as string;

    const v2 = await api.request('POST', '/flows?publish=true', { key: t.keys.supervisor, body: helloFlow('main', '第二版') });
    assert.equal(v2.status, 201);
    assert.equal(v2.body.version.version, 2);
    assert.equal(v2.body.flow.id, flowId, 'same name, same flow');
    assert.equal(v2.body.flow.publishedVersion, 2, '?publish=true publishes the pushed version');
    assert.deepEqual(runtime.published.at(-1), { tenantId: t.id, flowId });
    assert.deepEqual(events.at(-1), { type: 'flow.published', tenantId: t.id, flowId, name: 'main', version: 2 });

    const versions = await api.request('GET', '/flows/main/versions', { key: t.keys.agent });
    assert.deepEqual(versions.body.map((v: { version: number }) => v.version), [1, 2]);
    const doc1 = await api.request('GET', `/flows/${flowId}/versions/1`, { key: t.keys.agent });
    assert.equal(doc1.body.document.nodes.hello.prompt.text, '第一版');
    assert.equal((await api.request('GET', '/flows/main/versions/9', { key: t.keys.agent })).status, 404);

    const rolled = await api.request('POST', '/flows/main/rollback', { key: t.keys.supervisor });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    assert.equal(rolled.body.publishedVersion, 1, 'rollback goes to the version before');
    assert.deepEqual(events.at(-1), { type: 'flow.published', tenantId: t.id, flowId, name: 'main', version: 1 });
    assert.equal(runtime.published.length, 2);

    // An empty body with a JSON content type counts as no options (latest version).
    const again = await api.request('POST', '/flows/main/publish', { key: t.keys.admin, rawBody: '' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.publishedVersion, 2);
    const pinned = await api.request('POST', `/flows/${flowId}/publish`, { key: t.keys.admin, body: { version: 1 } });
    assert.equal(pinned.body.publishedVersion, 1);
    assert.equal((await api.request('POST', '/flows/main/publish', { key: t.keys.admin, body: { version: 7 } })).status, 404);

    const got = await api.request('GET', '/flows/main', { key: t.keys.agent });
    assert.deepEqual(
      { id: got.body.id, publishedVersion: got.body.publishedVersion, latestVersion: got.body.latestVersion },
      { id: flowId, publishedVersion: 1, latestVersion: 2 },
    );
    const list = await api.request('GET', '/flows', { key: t.keys.agent });
    assert.ok(list.body.some((f: { name: string }) => f.name === 'main'));

    const audit = await api.request('GET', `/audit?subject=flow:${flowId}`, { key: t.keys.supervisor });
    const actions = audit.body.map((e: { action: string }) => e.action);
    assert.ok(actions.includes('flow.push') && actions.includes('flow.publish') && actions.includes('flow.rollback'), actions.join());
    assert.ok(audit.body.every((e: { actor: string }) => e.actor.startsWith('key:')), 'the actor is the key');
  });

  test('rollback with nothing earlier is a 400', async () => {
    await api.request('POST', '/flows?publish=true', { key: t.keys.admin, body: helloFlow('single') });
    const res = await api.request('POST', '/flows/single/rollback', { key: t.keys.admin, body: {} });
    assert.equal(res.status, 400, JSON.stringify(res.body));
  });
});
