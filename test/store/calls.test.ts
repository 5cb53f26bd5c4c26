/**
 * Call records in the store: start, progress, end; found by our id or a SIP Call-ID; listed
 * with filters and a cursor; tenant scoping; and write(), the batch the IVR's record writer
 * uses: inserts and updates of many calls in one transaction, all or nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../../src/store/errors.ts';
import { callsRepository, type CallLeg, type CallWrite } from '../../src/store/repositories/calls.ts';
import { flowsRepository } from '../../src/store/repositories/flows.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

eachBackend('calls', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    lines: linesRepository(ctx.store().db, ctx.clock),
    flows: flowsRepository(ctx.store().db, ctx.clock),
    calls: callsRepository(ctx.store().db, ctx.clock),
  });

  test('start, progress, end; get by our id and by any leg\'s SIP Call-ID', async () => {
    const { tenants, lines, flows, calls } = repos();
    const t = await tenants.create({ slug: 'calls-life', name: 'C' });
    const line = await lines.createLine(t.id, { name: 'main', timeZone: 'UTC' });
    const { flow } = await flows.push(t.id, { version: 1, name: 'f', start: 'bye', nodes: { bye: { type: 'hangup' } } }, 'a');
    const id = randomUUID();
    const startedAt = new Date(ctx.clock.wallNow());
    await calls.start({
      id,
      tenantId: t.id,
      lineId: line.id,
      caller: '0912345678',
      dialled: '4008001111',
      legs: [{ role: 'caller', sipCallId: 'a84b4c76e66710@pc33.example' }],
      flowId: flow.id,
      flowVersion: 1,
      startedAt,
    });
    const started = await calls.get(t.id, id);
    assert.deepEqual(started, {
      id,
      tenantId: t.id,
      lineId: line.id,
      caller: '0912345678',
      dialled: '4008001111',
      legs: [{ role: 'caller', sipCallId: 'a84b4c76e66710@pc33.example' }],
      flowId: flow.id,
      flowVersion: 1,
      startedAt,
      endedAt: null,
      outcome: null,
      target: null,
      journey: [],
      variables: {},
    });
    const journey: JourneyEntry[] = [
      { kind: 'node', at: 1, node: 'menu', type: 'menu' },
      { kind: 'digit', at: 2, node: 'menu', digit: '1' },
    ];
    await calls.progress(t.id, id, { journey, variables: { order: '42' } });
    assert.deepEqual((await calls.get(t.id, id)).journey, journey);
    const legs = [
      { role: 'caller' as const, sipCallId: 'a84b4c76e66710@pc33.example' },
      { role: 'transfer' as const, sipCallId: 'out-leg-1', to: '0223456789' },
    ];
    const endedAt = new Date(ctx.clock.wallNow() + 30_000);
    const full: JourneyEntry[] = [...journey, { kind: 'end', at: 3, node: 'xfer', end: 'transfer' }];
    await calls.end(t.id, id, { endedAt, outcome: 'transfer', target: { number: '0223456789' }, journey: full, variables: { order: '42' }, legs });
    const ended = await calls.get(t.id, id);
    assert.deepEqual([ended.endedAt, ended.outcome, ended.target, ended.journey, ended.variables, ended.legs], [
      endedAt,
      'transfer',
      { number: '0223456789' },
      full,
      { order: '42' },
      legs,
    ]);
    assert.deepEqual(await calls.get(t.id, 'a84b4c76e66710@pc33.example'), ended, 'by the caller leg');
    assert.deepEqual(await calls.get(t.id, 'out-leg-1'), ended, 'by the transfer leg');
    await assert.rejects(calls.get(t.id, 'unknown-call-id'), NotFoundError);
    await assert.rejects(calls.get(t.id, randomUUID()), NotFoundError);
    await assert.rejects(calls.progress(t.id, randomUUID(), { journey: [], variables: {} }), NotFoundError);
  });

  test('list: newest first, by line, time range, active, limit and the before cursor', async () => {
    const { tenants, lines, calls } = repos();
    const t = await tenants.create({ slug: 'calls-list', name: 'C' });
    const l1 = await lines.createLine(t.id, { name: 'one', timeZone: 'UTC' });
    const l2 = await lines.createLine(t.id, { name: 'two', timeZone: 'UTC' });
    const base = ctx.clock.wallNow();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = randomUUID();
      ids.push(id);
      await calls.start({
        id,
        tenantId: t.id,
        lineId: i % 2 === 0 ? l1.id : l2.id,
        caller: `09000000${i}`,
        dialled: '4008001111',
        legs: [{ role: 'caller', sipCallId: `list-${i}` }],
        flowId: null,
        flowVersion: null,
        startedAt: new Date(base + i * 1000),
      });
      if (i < 4) await calls.end(t.id, id, { endedAt: new Date(base + i * 1000 + 500), outcome: 'hangup', journey: [], variables: {} });
    }
    const idx = (rs: { id: string }[]) => rs.map((r) => ids.indexOf(r.id));
    assert.deepEqual(idx(await calls.list(t.id, {})), [5, 4, 3, 2, 1, 0]);
    assert.deepEqual(idx(await calls.list(t.id, { lineId: l2.id })), [5, 3, 1]);
    assert.deepEqual(idx(await calls.list(t.id, { active: true })), [5, 4]);
    assert.deepEqual(idx(await calls.list(t.id, { active: false })), [3, 2, 1, 0]);
    assert.deepEqual(idx(await calls.list(t.id, { since: new Date(base + 2000), until: new Date(base + 4000) })), [3, 2]);
    const page1 = await calls.list(t.id, { limit: 4 });
    assert.deepEqual(idx(page1), [5, 4, 3, 2]);
    const page2 = await calls.list(t.id, { limit: 4, before: page1.at(-1)!.startedAt });
    assert.deepEqual(idx(page2), [1, 0], 'the cursor continues where the page ended');
    assert.equal((await calls.list(t.id, { limit: 0 })).length, 1, 'limit is at least 1');
  });

  test('the (startedAt, id) cursor pages through calls that share a start time, each exactly once', async () => {
    const { tenants, calls } = repos();
    const t = await tenants.create({ slug: 'calls-ties', name: 'C' });
    const at = new Date(ctx.clock.wallNow());
    const ids = Array.from({ length: 7 }, () => randomUUID());
    for (const [i, id] of ids.entries()) {
      await calls.start({ id, tenantId: t.id, lineId: null, caller: '0900', dialled: '4008001111', legs: [{ role: 'caller', sipCallId: `tie-${i}` }], flowId: null, flowVersion: null, startedAt: at });
    }
    const seen: string[] = [];
    let page = await calls.list(t.id, { limit: 3 });
    while (page.length > 0) {
      seen.push(...page.map((c) => c.id));
      const last = page.at(-1)!;
      page = await calls.list(t.id, { limit: 3, before: last.startedAt, beforeId: last.id });
    }
    assert.deepEqual(seen, [...ids].sort().reverse(), 'all seven, newest first then by id, none twice');
    assert.equal((await calls.list(t.id, { limit: 3, before: at })).length, 0, 'without the id, the time alone skips every tie (why the id is needed)');
  });

  test("tenant isolation: another tenant's call id or SIP Call-ID is not found, and not listed", async () => {
    const { tenants, calls } = repos();
    const a = await tenants.create({ slug: 'calls-iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'calls-iso-b', name: 'B' });
    const id = randomUUID();
    await calls.start({ id, tenantId: b.id, lineId: null, caller: 'x', dialled: 'y', legs: [{ role: 'caller', sipCallId: 'b-secret' }], flowId: null, flowVersion: null, startedAt: new Date(ctx.clock.wallNow()) });
    await assert.rejects(calls.get(a.id, id), NotFoundError);
    await assert.rejects(calls.get(a.id, 'b-secret'), NotFoundError);
    await assert.rejects(calls.progress(a.id, id, { journey: [], variables: {} }), NotFoundError);
    await assert.rejects(calls.end(a.id, id, { endedAt: new Date(), outcome: 'hangup', journey: [], variables: {} }), NotFoundError);
    assert.deepEqual(await calls.list(a.id, {}), []);
    assert.equal((await calls.get(b.id, id)).endedAt, null, 'B untouched');
  });
  const startOf = (sipCallId: string, lineId: string | null, flowId: string | null, startedAt: Date): NonNullable<CallWrite['start']> => ({
    lineId,
    caller: '0912345678',
    dialled: '4008001111',
    legs: [{ role: 'caller', sipCallId }],
    flowId,
    flowVersion: flowId ? 1 : null,
    startedAt,
  });

  test('write: new calls inserted (an end riding with its start), others updated field by field, in one batch', async () => {
    const { tenants, lines, flows, calls } = repos();
    const t = await tenants.create({ slug: 'calls-batch', name: 'C' });
    const line = await lines.createLine(t.id, { name: 'main', timeZone: 'UTC' });
    const { flow } = await flows.push(t.id, { version: 1, name: 'f', start: 'bye', nodes: { bye: { type: 'hangup' } } }, 'a');
    const at = ctx.clock.wallNow();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await calls.start({ id: a, tenantId: t.id, ...startOf('sip-a', line.id, flow.id, new Date(at)) });
    const journey: JourneyEntry[] = [{ kind: 'node', at: 1, node: 'menu', type: 'menu' }];
    const ended: JourneyEntry[] = [...journey, { kind: 'end', at: 2, node: 'bye', end: 'hangup' }];

    const first = await calls.write([
      { id: b, tenantId: t.id, start: startOf('sip-b', line.id, flow.id, new Date(at + 1)) },
      { id: c, tenantId: t.id, start: startOf('sip-c', null, null, new Date(at + 2)), journey: ended, variables: { k: 'v' }, end: { endedAt: new Date(at + 50), outcome: 'hangup', target: { kind: 'queue' } } },
      { id: a, tenantId: t.id, journey, variables: { order: '42' } },
    ]);
    assert.deepEqual(first, { unwritten: [] }, 'every write landed');
    const recB = await calls.get(t.id, b);
    assert.deepEqual(
      [recB.lineId, recB.flowId, recB.flowVersion, recB.startedAt, recB.legs, recB.journey, recB.variables, recB.endedAt, recB.outcome, recB.target],
      [line.id, flow.id, 1, new Date(at + 1), [{ role: 'caller', sipCallId: 'sip-b' }], [], {}, null, null, null],
      'a start alone: the row as start() writes it',
    );
    const recC = await calls.get(t.id, 'sip-c');
    assert.deepEqual(
      [recC.id, recC.lineId, recC.endedAt, recC.outcome, recC.target, recC.journey, recC.variables],
      [c, null, new Date(at + 50), 'hangup', { kind: 'queue' }, ended, { k: 'v' }],
      'start and end merged into one insert',
    );
    const recA = await calls.get(t.id, a);
    assert.deepEqual([recA.journey, recA.variables, recA.legs, recA.endedAt], [journey, { order: '42' }, [{ role: 'caller', sipCallId: 'sip-a' }], null], 'progress: legs kept, still running');

    const legs: CallLeg[] = [{ role: 'caller', sipCallId: 'sip-a' }, { role: 'transfer', sipCallId: 'sip-a-out', to: '0223456789' }];
    await calls.write([
      { id: a, tenantId: t.id, journey: ended, variables: { order: '42' }, legs, end: { endedAt: new Date(at + 60), outcome: 'transfer' } },
      { id: b, tenantId: t.id, journey: ended, variables: {}, end: { endedAt: new Date(at + 70), outcome: 'error', target: null } },
    ]);
    const endA = await calls.get(t.id, 'sip-a-out');
    assert.deepEqual([endA.id, endA.endedAt, endA.outcome, endA.target, endA.legs, endA.journey], [a, new Date(at + 60), 'transfer', null, legs, ended], 'end: found by the new leg');
    const endB = await calls.get(t.id, b);
    assert.deepEqual([endB.endedAt, endB.outcome, endB.target, endB.legs], [new Date(at + 70), 'error', null, [{ role: 'caller', sipCallId: 'sip-b' }]]);
    // A progress after nothing else changes only what it carries.
    await calls.write([{ id: b, tenantId: t.id, variables: { late: 'yes' } }]);
    const lateB = await calls.get(t.id, b);
    assert.deepEqual([lateB.endedAt, lateB.outcome, lateB.journey, lateB.variables], [new Date(at + 70), 'error', ended, { late: 'yes' }], 'the end stays');
    assert.deepEqual(await calls.write([]), { unwritten: [] }, 'an empty batch is nothing');
  });

  test("write: another tenant's calls, unknown and malformed ids are reported unwritten; a start written twice is no conflict", async () => {
    const { tenants, calls } = repos();
    const a = await tenants.create({ slug: 'calls-batch-a', name: 'A' });
    const b = await tenants.create({ slug: 'calls-batch-b', name: 'B' });
    const at = new Date(ctx.clock.wallNow());
    const theirs = randomUUID();
    await calls.start({ id: theirs, tenantId: b.id, ...startOf('b-call', null, null, at) });
    const mine = randomUUID();
    const unknown = randomUUID();
    const res = await calls.write([
      { id: theirs, tenantId: a.id, journey: [], variables: { stolen: 'yes' }, end: { endedAt: at, outcome: 'hangup' } },
      { id: unknown, tenantId: a.id, journey: [], variables: {} },
      { id: 'not-a-uuid', tenantId: a.id, journey: [], variables: {} },
      { id: mine, tenantId: a.id, start: startOf('a-call', null, null, at) },
    ]);
    assert.deepEqual(res.unwritten.sort(), [theirs, unknown, 'not-a-uuid'].sort(), 'what changed nothing is named');
    const untouched = await calls.get(b.id, theirs);
    assert.deepEqual([untouched.endedAt, untouched.variables], [null, {}], "B's call untouched");
    assert.equal((await calls.get(a.id, mine)).caller, '0912345678', 'the good write of the batch landed');

    const again = await calls.write([{ id: mine, tenantId: a.id, start: startOf('a-call', null, null, at) }]);
    assert.deepEqual(again, { unwritten: [] }, 'a batch retried after an unknown outcome writes the same row again');
    const hijack = await calls.write([{ id: theirs, tenantId: a.id, start: startOf('a-hijack', null, null, at) }]);
    assert.deepEqual(hijack, { unwritten: [theirs] }, "an insert cannot overwrite another tenant's call");
    assert.deepEqual((await calls.get(b.id, theirs)).legs, [{ role: 'caller', sipCallId: 'b-call' }]);
    await assert.rejects(
      calls.write([
        { id: mine, tenantId: a.id, journey: [], variables: {} },
        { id: mine, tenantId: a.id, journey: [], variables: {} },
      ]),
      ValidationError,
      'one write per call and batch',
    );
  });

  test('write: all or nothing — a row whose line is gone fails the batch (23503) and none of it is written', async () => {
    const { tenants, calls } = repos();
    const t = await tenants.create({ slug: 'calls-batch-fk', name: 'C' });
    const at = new Date(ctx.clock.wallNow());
    const good = randomUUID();
    const bad = randomUUID();
    const running = randomUUID();
    await calls.start({ id: running, tenantId: t.id, ...startOf('fk-running', null, null, at) });
    const err = await calls
      .write([
        { id: running, tenantId: t.id, journey: [], variables: {}, end: { endedAt: at, outcome: 'hangup' } },
        { id: good, tenantId: t.id, start: startOf('fk-good', null, null, at) },
        { id: bad, tenantId: t.id, start: startOf('fk-bad', randomUUID(), null, at) },
      ])
      .then(
        () => assert.fail('written'),
        (e: unknown) => e,
      );
    assert.equal(sqlState(err)?.code, FOREIGN_KEY_VIOLATION, `a foreign key violation, got ${String(err)}`);
    await assert.rejects(calls.get(t.id, good), NotFoundError, 'the good row of the failed batch was not written either');
    assert.equal((await calls.get(t.id, running)).endedAt, null, 'nor the end of the running call');
    assert.deepEqual(await calls.write([{ id: good, tenantId: t.id, start: startOf('fk-good', null, null, at) }]), { unwritten: [] }, 'the store still takes writes');
  });
});
