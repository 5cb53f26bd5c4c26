/**
 * Queues in the store: configs validated by queueConfigSchema (defaults filled in, every
 * problem reported with its path), found by name or id, replaced whole keeping the name,
 * removed; audited under queue:<name>; tenant scoping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queueConfigSchema } from '../../src/acd/queue-config.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

eachBackend('queues', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    queues: queuesRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  test('create validates and stores the parsed config; get by name or id; update replaces it; remove; each audited', async () => {
    const { tenants, queues, audit } = repos();
    const t = await tenants.create({ slug: 'q-basic', name: 'Q' });
    const input = { name: 'orders', priority: 60, requiredSkills: [{ skill: 'orders', minProficiency: 4 }], strategy: 'best-skill' };
    const created = await queues.create(t.id, input, 'alice');
    const parsed = queueConfigSchema.parse(input);
    const now = new Date(ctx.clock.wallNow());
    assert.deepEqual({ ...created, id: '' }, { id: '', tenantId: t.id, name: 'orders', config: parsed, createdAt: now, updatedAt: now }, 'stored as parsed, defaults included');
    assert.deepEqual(await queues.get(t.id, 'orders'), created);
    assert.deepEqual(await queues.get(t.id, created.id), created);
    await assert.rejects(queues.create(t.id, input, 'alice'), ConflictError);

    ctx.clock.advance(1000);
    const updated = await queues.update(t.id, 'orders', { ...input, priority: 90 }, 'bob');
    assert.deepEqual([updated.config.priority, updated.createdAt.getTime(), updated.updatedAt.getTime()], [90, now.getTime(), ctx.clock.wallNow()]);
    await assert.rejects(queues.update(t.id, 'orders', { ...input, name: 'renamed' }, 'bob'), ValidationError, 'a queue keeps its name');
    await assert.rejects(
      queues.update(t.id, 'orders', { ...input, priority: 500, strategy: 'random' }, 'bob'),
      (err: unknown) => err instanceof ValidationError && /priority/.test(err.message) && /strategy/.test(err.message),
      'every problem with its path',
    );
    await assert.rejects(queues.create(t.id, { name: 'Bad Name' }, 'bob'), ValidationError);
    await assert.rejects(queues.create(t.id, { name: 'x', unknownField: 1 }, 'bob'), ValidationError, 'strict: unknown fields refused');
    assert.deepEqual(await queues.get(t.id, 'orders'), updated, 'refused updates change nothing');

    await queues.create(t.id, { name: 'general' }, 'alice');
    assert.deepEqual((await queues.list(t.id)).map((q) => q.name), ['general', 'orders']);
    await queues.remove(t.id, 'orders', 'carol');
    await assert.rejects(queues.get(t.id, 'orders'), NotFoundError);
    await assert.rejects(queues.remove(t.id, 'orders', 'carol'), NotFoundError);
    assert.deepEqual((await audit.list(t.id, { subject: 'queue:orders' })).map((e) => [e.action, e.actor]).reverse(), [
      ['queue.create', 'alice'],
      ['queue.update', 'bob'],
      ['queue.remove', 'carol'],
    ]);
  });

  test("tenant isolation: another tenant's queue is not found by name or id; the same name is free in each tenant", async () => {
    const { tenants, queues } = repos();
    const a = await tenants.create({ slug: 'q-iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'q-iso-b', name: 'B' });
    const qb = await queues.create(b.id, { name: 'support', priority: 10 }, 'root');
    await assert.rejects(queues.get(a.id, 'support'), NotFoundError);
    await assert.rejects(queues.get(a.id, qb.id), NotFoundError);
    await assert.rejects(queues.update(a.id, 'support', { name: 'support' }, 'eve'), NotFoundError);
    await assert.rejects(queues.remove(a.id, qb.id, 'eve'), NotFoundError);
    assert.deepEqual(await queues.list(a.id), []);
    await queues.create(a.id, { name: 'support', priority: 99 }, 'root');
    assert.equal((await queues.get(b.id, 'support')).config.priority, 10, "A's queue did not touch B's");
  });
});
