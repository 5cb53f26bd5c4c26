import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { linesRepository, normalizeDigits } from '../../src/store/repositories/lines.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { flowsRepository } from '../../src/store/repositories/flows.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { eachBackend } from './backends.ts';

test('normalizeDigits keeps digits and a leading +, refuses anything else', () => {
  assert.equal(normalizeDigits('400-800 1111'), '4008001111');
  assert.equal(normalizeDigits('+886 (2) 2345.6789'), '+886223456789');
  assert.throws(() => normalizeDigits('400a8001111'), ValidationError);
  assert.throws(() => normalizeDigits('1'), ValidationError);
  assert.throws(() => normalizeDigits('4008001111;user=phone'), ValidationError);
});

eachBackend('tenants, lines and numbers', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    lines: linesRepository(ctx.store().db, ctx.clock),
    flows: flowsRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  const doc = (name: string): unknown => ({ version: 1, name, start: 'bye', nodes: { bye: { type: 'hangup' } } });

  test('setFlow attaches a flow by name or id and detaches it; lineForCall routes a dialled number to it; audited', async () => {
    const { tenants, lines, flows, audit } = repos();
    const t = await tenants.create({ slug: 'line-flow', name: 'LF' });
    const line = await lines.createLine(t.id, { name: 'hotline', timeZone: 'Asia/Taipei' }, 'alice');
    assert.equal(line.flow_id, null, 'a new line runs no flow');
    await lines.addNumber(t.id, line.id, '4008006666', 'alice');
    const { flow } = await flows.push(t.id, doc('welcome'), 'alice');
    const attached = await lines.setFlow(t.id, '4008006666', 'welcome', 'bob');
    assert.equal(attached.flow_id, flow.id);
    assert.deepEqual(await lines.lineForCall('400-800-6666'), {
      tenantId: t.id,
      lineId: line.id,
      lineName: 'hotline',
      timeZone: 'Asia/Taipei',
      flowId: flow.id,
    });
    assert.equal(await lines.lineForCall('4008006667'), undefined);
    assert.equal(await lines.lineForCall('sip:nonsense'), undefined);
    assert.equal((await lines.setFlow(t.id, line.id, null, 'bob')).flow_id, null);
    assert.equal((await lines.lineForCall('4008006666'))?.flowId, null);
    await lines.setFlow(t.id, line.id, flow.id, 'bob');
    const renamed = await lines.updateLine(t.id, line.id, { name: 'main' }, 'carol');
    assert.deepEqual([renamed.name, renamed.time_zone, renamed.flow_id], ['main', 'Asia/Taipei', flow.id]);
    await assert.rejects(lines.setFlow(t.id, line.id, 'no-such-flow', 'bob'), NotFoundError);
    assert.deepEqual(
      (await audit.list(t.id, { subject: `line:${line.id}` })).map((e) => [e.action, e.actor, e.detail]).reverse(),
      [
        ['line.create', 'alice', { name: 'hotline', timeZone: 'Asia/Taipei' }],
        ['line.number.add', 'alice', { number: '4008006666' }],
        ['line.flow', 'bob', { from: null, to: flow.id }],
        ['line.flow', 'bob', { from: flow.id, to: null }],
        ['line.flow', 'bob', { from: null, to: flow.id }],
        ['line.update', 'carol', { name: 'main' }],
      ],
    );
  });

  test('setFlow: a line or flow of another tenant is not found, and the database refuses the cross-tenant link', async () => {
    const { tenants, lines, flows } = repos();
    const a = await tenants.create({ slug: 'line-flow-a', name: 'A' });
    const b = await tenants.create({ slug: 'line-flow-b', name: 'B' });
    const lineA = await lines.createLine(a.id, { name: 'main', timeZone: 'UTC' });
    const lineB = await lines.createLine(b.id, { name: 'main', timeZone: 'UTC' });
    await lines.addNumber(b.id, lineB.id, '4008007777');
    const fb = await flows.push(b.id, doc('b-flow'), 'bob');
    await assert.rejects(lines.setFlow(a.id, lineA.id, fb.flow.id, 'eve'), NotFoundError, "B's flow by id");
    await assert.rejects(lines.setFlow(a.id, lineA.id, 'b-flow', 'eve'), NotFoundError, "B's flow by name");
    await assert.rejects(lines.setFlow(a.id, lineB.id, null, 'eve'), NotFoundError, "B's line by id");
    await assert.rejects(lines.setFlow(a.id, '4008007777', null, 'eve'), NotFoundError, "B's line by number");
    await assert.rejects(lines.updateLine(a.id, lineB.id, { name: 'x' }, 'eve'), NotFoundError, "B's line rename");
    await assert.rejects(
      ctx.store().db.updateTable('lines').set({ flow_id: fb.flow.id }).where('id', '=', lineA.id).execute(),
      (err: unknown) => (err as { code?: string }).code === '23503',
    );
  });

  test('tenants: create, get, find by slug; duplicate slug is a ConflictError', async () => {
    const { tenants } = repos();
    const t = await tenants.create({ slug: 'eshop', name: 'E購網' });
    assert.equal(t.name, 'E購網');
    assert.equal(t.created_at.getTime(), ctx.clock.wallNow());
    assert.deepEqual(await tenants.get(t.id), t);
    assert.deepEqual(await tenants.findBySlug('eshop'), t);
    assert.equal(await tenants.findBySlug('nope'), undefined);
    await assert.rejects(tenants.create({ slug: 'eshop', name: 'again' }), ConflictError);
    await assert.rejects(tenants.create({ slug: 'Bad Slug', name: 'x' }), ValidationError);
    await assert.rejects(tenants.get('not-a-uuid'), NotFoundError);
    await assert.rejects(tenants.get('00000000-0000-4000-8000-000000000000'), NotFoundError);
  });

  test('a line owns numbers; found by id, by number, and routed from a dialled number', async () => {
    const { tenants, lines } = repos();
    const t = await tenants.create({ slug: 'tickets', name: 'SKTickets' });
    const line = await lines.createLine(t.id, { name: 'hotline', timeZone: 'Asia/Taipei' });
    assert.equal(line.tenant_id, t.id);
    await lines.addNumber(t.id, line.id, '400-800-2222');
    await lines.addNumber(t.id, line.id, '+886223456789');
    assert.deepEqual(
      (await lines.listNumbers(t.id, line.id)).map((n) => n.digits),
      ['+886223456789', '4008002222'],
    );
    assert.deepEqual(await lines.getLine(t.id, line.id), line);
    assert.deepEqual(await lines.findLineByNumber(t.id, '4008002222'), line);
    assert.deepEqual(await lines.resolveLine(t.id, '4008002222'), line);
    assert.deepEqual(await lines.resolveLine(t.id, line.id), line);
    assert.deepEqual(await lines.resolveLine(t.id, 'hotline'), line, 'by name');
    await assert.rejects(lines.resolveLine(t.id, 'no such line'), NotFoundError);
    assert.deepEqual(await lines.routeDialled('4008002222'), { tenantId: t.id, lineId: line.id });
    assert.equal(await lines.routeDialled('4009999999'), undefined);
    assert.equal(await lines.routeDialled('garbage'), undefined);
    await lines.removeNumber(t.id, '+886223456789');
    assert.equal(await lines.findLineByNumber(t.id, '+886223456789'), undefined);
    await assert.rejects(lines.removeNumber(t.id, '+886223456789'), NotFoundError);
    await assert.rejects(lines.createLine(t.id, { name: 'hotline', timeZone: 'UTC' }), ConflictError);
    await assert.rejects(lines.createLine(t.id, { name: 'x', timeZone: 'Mars/Olympus' }), ValidationError);
  });

  test('tenant isolation: tenant B never sees, changes or attaches to tenant A lines and numbers', async () => {
    const { tenants, lines } = repos();
    const a = await tenants.create({ slug: 'iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'iso-b', name: 'B' });
    const lineA = await lines.createLine(a.id, { name: 'main', timeZone: 'UTC' });
    const lineB = await lines.createLine(b.id, { name: 'main', timeZone: 'UTC' });
    await lines.addNumber(a.id, lineA.id, '4008003333');

    await assert.rejects(lines.getLine(b.id, lineA.id), NotFoundError);
    await assert.rejects(lines.resolveLine(b.id, lineA.id), NotFoundError);
    await assert.rejects(lines.resolveLine(b.id, '4008003333'), NotFoundError);
    assert.deepEqual(await lines.resolveLine(b.id, 'main'), lineB, "the name finds the tenant's own line, not another tenant's");
    assert.equal(await lines.findLineByNumber(b.id, '4008003333'), undefined);
    assert.deepEqual(await lines.listNumbers(b.id, lineA.id), []);
    assert.deepEqual(
      (await lines.listLines(b.id)).map((l) => l.id),
      [lineB.id],
    );
    // B may not hang a number on A's line, nor remove A's number.
    await assert.rejects(lines.addNumber(b.id, lineA.id, '4008004444'), NotFoundError);
    await assert.rejects(lines.removeNumber(b.id, '4008003333'), NotFoundError);
    assert.deepEqual(await lines.findLineByNumber(a.id, '4008003333'), lineA);
  });

  test('the database itself refuses a number that points at another tenant line', async () => {
    const { tenants, lines } = repos();
    const a = await tenants.create({ slug: 'fk-a', name: 'A' });
    const b = await tenants.create({ slug: 'fk-b', name: 'B' });
    const lineA = await lines.createLine(a.id, { name: 'main', timeZone: 'UTC' });
    await assert.rejects(
      ctx
        .store()
        .db.insertInto('numbers')
        .values({ tenant_id: b.id, line_id: lineA.id, digits: '4008005555', created_at: new Date() })
        .execute(),
      (err: unknown) => (err as { code?: string }).code === '23503',
    );
  });

  test('a number is unique across tenants: ConflictError', async () => {
    const { tenants, lines } = repos();
    const a = await tenants.create({ slug: 'uniq-a', name: 'A' });
    const b = await tenants.create({ slug: 'uniq-b', name: 'B' });
    const lineA = await lines.createLine(a.id, { name: 'main', timeZone: 'UTC' });
    const lineB = await lines.createLine(b.id, { name: 'main', timeZone: 'UTC' });
    await lines.addNumber(a.id, lineA.id, '4008001111');
    await assert.rejects(lines.addNumber(b.id, lineB.id, '400 800 1111'), (err: unknown) => {
      assert.ok(err instanceof ConflictError);
      assert.equal(err.constraint, 'numbers_digits_key');
      return true;
    });
    await assert.rejects(lines.addNumber(a.id, lineA.id, '4008001111'), ConflictError);
    assert.deepEqual(await lines.routeDialled('4008001111'), { tenantId: a.id, lineId: lineA.id });
  });
});
