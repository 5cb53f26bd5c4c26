/** Flows in the store: validated pushes, immutable versions, publish and rollback, tenant scoping, audit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { egouDouble11Flow, egouNormalFlow } from '../../src/flows/demo/egou.ts';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { FlowInvalidError, flowsRepository } from '../../src/store/repositories/flows.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

/** A small valid flow named `name` whose greeting identifies the version. */
function flowDoc(name: string, greeting: string): unknown {
  return {
    version: 1,
    name,
    start: 'hello',
    nodes: { hello: { type: 'say', prompt: { text: greeting }, next: 'bye' }, bye: { type: 'hangup' } },
  };
}

eachBackend('flows', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    flows: flowsRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  test('an invalid document is refused with the problems and their paths; nothing is stored', async () => {
    const { tenants, flows } = repos();
    const t = await tenants.create({ slug: 'flows-invalid', name: 'F' });
    const bad = {
      version: 1,
      name: 'broken',
      start: 'hello',
      nodes: { hello: { type: 'say', prompt: { text: 'hi' }, next: 'nowhere' } },
    };
    await assert.rejects(flows.push(t.id, bad, 'alice'), (err: unknown) => {
      assert.ok(err instanceof FlowInvalidError, 'a FlowInvalidError');
      assert.deepEqual(
        err.problems.map((p) => p.path),
        ['nodes.hello.next'],
        'the problem names the field',
      );
      return true;
    });
    await assert.rejects(flows.push(t.id, { name: 'x' }, 'alice'), FlowInvalidError);
    assert.deepEqual(await flows.list(t.id), [], 'no flow was created');
  });

  test('push creates the flow then appends versions; stored versions never change', async () => {
    const { tenants, flows } = repos();
    const t = await tenants.create({ slug: 'flows-push', name: 'F' });
    const first = await flows.push(t.id, egouNormalFlow, 'alice', 'first cut');
    assert.equal(first.flow.name, 'egou-normal');
    assert.equal(first.flow.latestVersion, 1);
    assert.equal(first.flow.publishedVersion, null, 'a push is a draft');
    assert.deepEqual(first.version, {
      flowId: first.flow.id,
      version: 1,
      document: egouNormalFlow,
      comment: 'first cut',
      createdBy: 'alice',
      createdAt: new Date(ctx.clock.wallNow()),
    });
    ctx.clock.advance(1000);
    const second = await flows.push(t.id, flowDoc('egou-normal', 'v2'), 'bob');
    assert.equal(second.flow.id, first.flow.id, 'same flow');
    assert.equal(second.version.version, 2);
    assert.equal(second.version.comment, null);
    assert.deepEqual(await flows.version(t.id, 'egou-normal', 1), first.version, 'v1 unchanged by the push of v2');
    assert.deepEqual(
      (await flows.versions(t.id, first.flow.id)).map((v) => [v.version, v.createdBy]),
      [
        [1, 'alice'],
        [2, 'bob'],
      ],
    );
    await assert.rejects(flows.version(t.id, 'egou-normal', 3), NotFoundError);
    await assert.rejects(
      ctx.store().db.updateTable('flow_versions').set({ version: 2 }).where('flow_id', '=', first.flow.id).where('version', '=', 1).execute(),
      (err: unknown) => (err as { code?: string }).code === '23505',
      'the primary key refuses a second v2',
    );
    const other = await flows.push(t.id, egouDouble11Flow, 'alice');
    assert.deepEqual(
      (await flows.list(t.id)).map((f) => [f.name, f.latestVersion]),
      [
        ['egou-double11', 1],
        ['egou-normal', 2],
      ],
    );
    assert.deepEqual(await flows.get(t.id, other.flow.id), other.flow, 'by id');
    assert.deepEqual(await flows.get(t.id, 'egou-double11'), other.flow, 'by name');
  });

  test('publish: default latest; published() gives that document; rollback walks back through what was published', async () => {
    const { tenants, flows, audit } = repos();
    const t = await tenants.create({ slug: 'flows-publish', name: 'F' });
    const { flow } = await flows.push(t.id, flowDoc('main', 'one'), 'alice');
    assert.equal(await flows.published(t.id, 'main'), undefined, 'never published');
    await assert.rejects(flows.rollback(t.id, 'main', undefined, 'alice'), ValidationError, 'nothing to roll back');
    await flows.push(t.id, flowDoc('main', 'two'), 'alice');
    await flows.push(t.id, flowDoc('main', 'three'), 'alice');
    await flows.push(t.id, flowDoc('main', 'four'), 'alice');

    ctx.clock.advance(5000);
    const p1 = await flows.publish(t.id, 'main', 1, 'alice');
    assert.equal(p1.publishedVersion, 1);
    assert.equal(p1.publishedAt?.getTime(), ctx.clock.wallNow());
    await flows.publish(t.id, 'main', 3, 'alice');
    const latest = await flows.publish(t.id, flow.id, undefined, 'bob');
    assert.equal(latest.publishedVersion, 4, 'default: the latest version');
    assert.deepEqual(await flows.published(t.id, 'main'), {
      flowId: flow.id,
      name: 'main',
      version: 4,
      document: flowDoc('main', 'four'),
    });

    // History 1 → 3 → 4: rollback goes to 3 (not 4-1 = 2), then to 1, then to 0 which does not exist.
    assert.equal((await flows.rollback(t.id, 'main', undefined, 'carol')).publishedVersion, 3);
    assert.equal((await flows.rollback(t.id, 'main', undefined, 'carol')).publishedVersion, 1);
    await assert.rejects(flows.rollback(t.id, 'main', undefined, 'carol'), ValidationError, 'nothing before v1');
    await flows.publish(t.id, 'main', 4, 'alice');
    assert.equal((await flows.rollback(t.id, 'main', 2, 'carol')).publishedVersion, 2, 'explicit target');
    assert.equal((await flows.published(t.id, 'main'))?.version, 2);
    await assert.rejects(flows.rollback(t.id, 'main', 3, 'carol'), ValidationError, 'rollback never goes forward');
    await assert.rejects(flows.publish(t.id, 'main', 9, 'alice'), NotFoundError);

    const entries = await audit.list(t.id, { subject: `flow:${flow.id}` });
    assert.deepEqual(
      entries.map((e) => [e.action, e.actor, e.detail['from'] ?? null, e.detail['to'] ?? e.detail['version']]).reverse(),
      [
        ['flow.push', 'alice', null, 1],
        ['flow.push', 'alice', null, 2],
        ['flow.push', 'alice', null, 3],
        ['flow.push', 'alice', null, 4],
        ['flow.publish', 'alice', null, 1],
        ['flow.publish', 'alice', 1, 3],
        ['flow.publish', 'bob', 3, 4],
        ['flow.rollback', 'carol', 4, 3],
        ['flow.rollback', 'carol', 3, 1],
        ['flow.publish', 'alice', 1, 4],
        ['flow.rollback', 'carol', 4, 2],
      ],
      'every change audited, in order, with who did it',
    );
  });

  test('publish re-validates the stored document', async () => {
    const { tenants, flows } = repos();
    const t = await tenants.create({ slug: 'flows-revalidate', name: 'F' });
    const { flow } = await flows.push(t.id, flowDoc('main', 'one'), 'alice');
    // A version that became invalid (written behind the store's back) must not go live.
    await ctx
      .store()
      .db.updateTable('flow_versions')
      .set({ document: JSON.stringify({ version: 1, name: 'main', start: 'gone', nodes: { hello: { type: 'hangup' } } }) })
      .where('flow_id', '=', flow.id)
      .execute();
    await assert.rejects(flows.publish(t.id, 'main', 1, 'alice'), FlowInvalidError);
    assert.equal((await flows.get(t.id, 'main')).publishedVersion, null);
  });

  test('tenant isolation: another tenant\'s flow id or name is not found; names are per tenant', async () => {
    const { tenants, flows } = repos();
    const a = await tenants.create({ slug: 'flows-iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'flows-iso-b', name: 'B' });
    const fb = await flows.push(b.id, flowDoc('secret', 'b only'), 'bob');
    await flows.publish(b.id, 'secret', 1, 'bob');
    for (const ref of [fb.flow.id, 'secret']) {
      await assert.rejects(flows.get(a.id, ref), NotFoundError, `get ${ref}`);
      await assert.rejects(flows.versions(a.id, ref), NotFoundError, `versions ${ref}`);
      await assert.rejects(flows.version(a.id, ref, 1), NotFoundError, `version ${ref}`);
      await assert.rejects(flows.publish(a.id, ref, 1, 'eve'), NotFoundError, `publish ${ref}`);
      await assert.rejects(flows.rollback(a.id, ref, 1, 'eve'), NotFoundError, `rollback ${ref}`);
      await assert.rejects(flows.published(a.id, ref), NotFoundError, `published ${ref}`);
    }
    assert.deepEqual(await flows.list(a.id), []);
    // Tenant A may have its own flow of the same name: a separate flow.
    const fa = await flows.push(a.id, flowDoc('secret', 'a'), 'alice');
    assert.notEqual(fa.flow.id, fb.flow.id);
    assert.equal(fa.version.version, 1);
    assert.equal((await flows.get(b.id, 'secret')).latestVersion, 1, 'B untouched');
  });
});
