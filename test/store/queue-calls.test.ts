/**
 * ACD call detail records: one row per queue visit with wait, talk and wrap computed from
 * the given instants; offered counts; per-queue summaries over an interval (service level
 * counted against the target); tenant scoping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { queueCallsRepository } from '../../src/store/repositories/queue-calls.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

const call = (n: number) => `6f1c2a3b-0000-4000-8000-${String(n).padStart(12, '0')}`;

eachBackend('queue calls', (ctx) => {
  test('start → offered → answer → end → wrapUp gives wait, talk and wrap; unanswered visits get their wait at the end', async () => {
    const db = ctx.store().db;
    const t = await tenantsRepository(db, ctx.clock).create({ slug: 'qc', name: 'Q' });
    const agent = await agentsRepository(db, ctx.clock).create(t.id, { extension: '1001' }, 'admin');
    const qc = queueCallsRepository(db, ctx.clock);
    const t0 = ctx.clock.wallNow();
    const at = (s: number) => new Date(t0 + s * 1000);

    const answered = await qc.start(t.id, { callId: call(1), queue: 'egou-orders', enteredAt: at(0) });
    await qc.announced(t.id, answered, 30_000);
    await qc.announced(t.id, answered, 99_000); // a later announcement: the first estimate stays
    await qc.offered(t.id, answered);
    await qc.offered(t.id, answered);
    await qc.answer(t.id, answered, { at: at(25.5), agentId: agent.id });
    await qc.end(t.id, answered, { at: at(205.5), outcome: 'answered' });
    await qc.wrapUp(t.id, answered, { wrapMs: 10_000, wrapCode: 'order-status' });
    assert.deepEqual(
      { ...(await qc.get(t.id, answered)), id: '' },
      {
        id: '',
        tenantId: t.id,
        callId: call(1),
        queue: 'egou-orders',
        enteredAt: at(0),
        offeredCount: 2,
        answeredAt: at(25.5),
        agentId: agent.id,
        endedAt: at(205.5),
        outcome: 'answered',
        waitMs: 25_500,
        talkMs: 180_000,
        wrapMs: 10_000,
        wrapCode: 'order-status',
        announcedEwtMs: 30_000,
      },
    );

    const given = call(99);
    const abandoned = await qc.start(t.id, { id: given, callId: call(2), queue: 'egou-orders', enteredAt: at(10) });
    assert.equal(abandoned, given, 'the runtime may choose the id');
    await qc.end(t.id, abandoned, { at: at(70), outcome: 'abandoned' });
    const ab = await qc.get(t.id, abandoned);
    assert.deepEqual([ab.waitMs, ab.talkMs, ab.answeredAt, ab.outcome], [60_000, null, null, 'abandoned']);

    const overflow = await qc.start(t.id, { callId: call(3), queue: 'egou-returns', enteredAt: at(20) });
    await qc.end(t.id, overflow, { at: at(80), outcome: 'overflow' });
    const next = await qc.start(t.id, { callId: call(3), queue: 'egou-orders', enteredAt: at(80) });
    await qc.announced(t.id, next, 4_000);
    await qc.answer(t.id, next, { at: at(90), agentId: agent.id });
    await qc.end(t.id, next, { at: at(100), outcome: 'answered' });

    assert.deepEqual((await qc.list(t.id, { callId: call(3) })).map((v) => [v.queue, v.outcome]), [
      ['egou-orders', 'answered'],
      ['egou-returns', 'overflow'],
    ], 'one row per visit, newest first');
    assert.deepEqual((await qc.list(t.id, { agentId: agent.id })).length, 2);

    const summary = await qc.summary(t.id, { since: at(0), until: at(3600), serviceLevelMs: 20_000 });
    assert.deepEqual(summary, [
      {
        queue: 'egou-orders',
        offered: 3,
        answered: 2,
        abandoned: 1,
        callbacks: 0,
        voicemails: 0,
        overflowed: 0,
        targeted: 0,
        answeredWithinTarget: 1,
        avgWaitMs: Math.round((25_500 + 10_000) / 2),
        avgTalkMs: Math.round((180_000 + 10_000) / 2),
        avgWrapMs: 10_000,
        longestWaitMs: 60_000,
        ewtAnswered: 2,
        ewtMeanAbsErrorMs: Math.round((Math.abs(30_000 - 25_500) + Math.abs(4_000 - 10_000)) / 2),
      },
      {
        queue: 'egou-returns',
        offered: 1,
        answered: 0,
        abandoned: 0,
        callbacks: 0,
        voicemails: 0,
        overflowed: 1,
        targeted: 0,
        answeredWithinTarget: 0,
        avgWaitMs: null,
        avgTalkMs: null,
        avgWrapMs: null,
        longestWaitMs: 60_000,
        ewtAnswered: 0,
        ewtMeanAbsErrorMs: null,
      },
    ]);
    assert.deepEqual(await qc.summary(t.id, { since: at(1), until: at(15) }), [{ ...summary[0]!, offered: 1, answered: 0, abandoned: 1, answeredWithinTarget: 0, avgWaitMs: null, avgTalkMs: null, avgWrapMs: null, longestWaitMs: 60_000, ewtAnswered: 0, ewtMeanAbsErrorMs: null }], 'only visits that entered in the interval');

    await assert.rejects(qc.end(t.id, next, { at: at(1), outcome: 'lost' as never }), ValidationError);
    await assert.rejects(qc.wrapUp(t.id, next, { wrapMs: -1 }), ValidationError);
    await assert.rejects(qc.announced(t.id, next, Number.NaN), ValidationError);
    await assert.rejects(qc.start(t.id, { callId: 'x', queue: 'q', enteredAt: at(0) }), ValidationError);
    await assert.rejects(qc.answer(t.id, next, { at: at(1), agentId: '00000000-0000-4000-8000-000000000000' }), NotFoundError);
  });

  test("tenant isolation: another tenant's visit is not found or changed, nor its agent usable", async () => {
    const db = ctx.store().db;
    const tenants = tenantsRepository(db, ctx.clock);
    const a = await tenants.create({ slug: 'qc-a', name: 'A' });
    const b = await tenants.create({ slug: 'qc-b', name: 'B' });
    const qc = queueCallsRepository(db, ctx.clock);
    const now = new Date(ctx.clock.wallNow());
    const vb = await qc.start(b.id, { callId: call(7), queue: 'q', enteredAt: now });
    await assert.rejects(qc.get(a.id, vb), NotFoundError);
    await assert.rejects(qc.offered(a.id, vb), NotFoundError);
    await assert.rejects(qc.end(a.id, vb, { at: now, outcome: 'abandoned' }), NotFoundError);
    assert.deepEqual(await qc.list(a.id), []);
    assert.deepEqual(await qc.summary(a.id, { since: new Date(0), until: new Date(now.getTime() + 1) }), []);
    const agentB = await agentsRepository(db, ctx.clock).create(b.id, { extension: '1001' }, 'root');
    const va = await qc.start(a.id, { callId: call(8), queue: 'q', enteredAt: now });
    await assert.rejects(qc.answer(a.id, va, { at: now, agentId: agentB.id }), NotFoundError, "B's agent cannot answer A's call");
    assert.equal((await qc.get(b.id, vb)).offeredCount, 0);
  });
});
