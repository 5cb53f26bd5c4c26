/** The audit log: newest first, filters, tenant scoping, and the entries tenant changes write. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

eachBackend('audit', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  test('list: newest first (in write order within one instant), by subject, since and limit', async () => {
    const { tenants, audit } = repos();
    const t = await tenants.create({ slug: 'audit-list', name: 'A' }, 'root');
    const start = ctx.clock.wallNow();
    for (let i = 0; i < 3; i++) await audit.record(t.id, { actor: 'alice', action: 'x.change', subject: 'x:1', detail: { i } });
    ctx.clock.advance(1000);
    await audit.record(t.id, { actor: 'bob', action: 'y.change', subject: 'y:1' });
    const all = await audit.list(t.id, {});
    assert.deepEqual(
      all.map((e) => [e.action, e.actor, e.detail['i'] ?? null]),
      [
        ['y.change', 'bob', null],
        ['x.change', 'alice', 2],
        ['x.change', 'alice', 1],
        ['x.change', 'alice', 0],
        ['tenant.create', 'root', null],
      ],
    );
    assert.deepEqual(all[0]?.detail, {}, 'detail defaults to {}');
    assert.equal(all[0]?.at.getTime(), start + 1000);
    assert.deepEqual((await audit.list(t.id, { subject: 'x:1' })).map((e) => e.detail['i']), [2, 1, 0]);
    assert.deepEqual((await audit.list(t.id, { since: new Date(start + 1000) })).map((e) => e.action), ['y.change']);
    assert.equal((await audit.list(t.id, { limit: 2 })).length, 2);
  });

  test('tenant creation and the operator flag are audited in the tenant itself', async () => {
    const { tenants, audit } = repos();
    const t = await tenants.create({ slug: 'audit-tenant', name: 'T' }, 'operator-admin');
    assert.equal(t.operator, false);
    const op = await tenants.setOperator(t.id, true, 'seed');
    assert.equal(op.operator, true);
    assert.deepEqual(
      (await audit.list(t.id, { subject: `tenant:${t.id}` })).map((e) => [e.action, e.actor, e.detail]).reverse(),
      [
        ['tenant.create', 'operator-admin', { slug: 'audit-tenant', name: 'T', operator: false }],
        ['tenant.operator', 'seed', { operator: true }],
      ],
    );
  });

  test("tenant isolation: one tenant never reads another's entries", async () => {
    const { tenants, audit } = repos();
    const a = await tenants.create({ slug: 'audit-iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'audit-iso-b', name: 'B' });
    await audit.record(b.id, { actor: 'bob', action: 'secret.change', subject: 'secret:1' });
    assert.deepEqual(await audit.list(a.id, { subject: 'secret:1' }), []);
    assert.ok((await audit.list(a.id, {})).every((e) => e.tenantId === a.id));
    assert.equal((await audit.list(b.id, { subject: 'secret:1' })).length, 1);
    assert.deepEqual(await audit.list('not-a-uuid', {}), []);
  });
});
