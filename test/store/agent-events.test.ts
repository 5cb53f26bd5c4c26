/**
 * The agent state log: append, list, latest state per agent, and day summaries — time per
 * state (counting the state held when the day began), break time per reason, logged-in time,
 * answered calls and talk time from the CDRs; tenant scoping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { agentEventsRepository } from '../../src/store/repositories/agent-events.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { queueCallsRepository } from '../../src/store/repositories/queue-calls.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

const MIN = 60_000;

eachBackend('agent events', (ctx) => {
  test('append/list/latest; a day summary per agent from the log and the CDRs', async () => {
    const db = ctx.store().db;
    const t = await tenantsRepository(db, ctx.clock).create({ slug: 'ae', name: 'E' });
    const agents = agentsRepository(db, ctx.clock);
    const a1 = await agents.create(t.id, { extension: '1001' }, 'admin');
    const a2 = await agents.create(t.id, { extension: '1002' }, 'admin');
    const idle = await agents.create(t.id, { extension: '1003' }, 'admin');
    const events = agentEventsRepository(db, ctx.clock);
    const day = Date.UTC(2026, 10, 23, 0, 0); // the caller's day boundary
    const at = (m: number) => new Date(day + m * MIN);

    // a1: logged in the evening before, still available at midnight.
    await events.append(t.id, { agentId: a1.id, at: at(-60), state: 'available' });
    await events.append(t.id, { agentId: a1.id, at: at(30), state: 'ringing' });
    await events.append(t.id, { agentId: a1.id, at: at(31), state: 'on-call' });
    await events.append(t.id, { agentId: a1.id, at: at(41), state: 'wrap-up' });
    await events.append(t.id, { agentId: a1.id, at: at(42), state: 'break', reason: 'lunch' });
    await events.append(t.id, { agentId: a1.id, at: at(72), state: 'break', reason: 'no-answer' });
    await events.append(t.id, { agentId: a1.id, at: at(75), state: 'offline' });
    // a2: logs in at 01:00 and is still available at "now" (02:00).
    await events.append(t.id, { agentId: a2.id, at: at(60), state: 'available' });

    const qc = queueCallsRepository(db, ctx.clock);
    const visit = await qc.start(t.id, { callId: '6f1c2a3b-0000-4000-8000-000000000001', queue: 'q', enteredAt: at(29) });
    await qc.answer(t.id, visit, { at: at(31), agentId: a1.id });
    await qc.end(t.id, visit, { at: at(41), outcome: 'answered' });

    assert.deepEqual((await events.list(t.id, { agentId: a1.id, since: at(0) })).map((e) => [e.state, e.reason]), [
      ['ringing', null],
      ['on-call', null],
      ['wrap-up', null],
      ['break', 'lunch'],
      ['break', 'no-answer'],
      ['offline', null],
    ]);
    assert.deepEqual(
      (await events.latest(t.id)).map((e) => [e.agentId, e.state]).sort(),
      [
        [a1.id, 'offline'],
        [a2.id, 'available'],
      ].sort(),
      'the newest state of each agent that has one',
    );

    const sums = await events.summaries(t.id, { since: at(0), until: at(24 * 60), now: at(120) });
    const byId = new Map(sums.map((s) => [s.agentId, s]));
    assert.deepEqual(byId.get(a1.id), {
      agentId: a1.id,
      stateMs: { offline: 45 * MIN, available: 30 * MIN, ringing: 1 * MIN, 'on-call': 10 * MIN, 'wrap-up': 1 * MIN, break: 33 * MIN },
      breakMs: { lunch: 30 * MIN, 'no-answer': 3 * MIN },
      loggedInMs: 75 * MIN,
      transitions: 6,
      answered: 1,
      talkMs: 10 * MIN,
      state: 'offline',
    });
    assert.deepEqual(byId.get(a2.id), {
      agentId: a2.id,
      stateMs: { offline: 60 * MIN, available: 60 * MIN, ringing: 0, 'on-call': 0, 'wrap-up': 0, break: 0 },
      breakMs: {},
      loggedInMs: 60 * MIN,
      transitions: 1,
      answered: 0,
      talkMs: 0,
      state: 'available',
    });
    assert.equal(byId.get(idle.id)?.stateMs.offline, 120 * MIN, 'an agent without events was offline all along');
    assert.equal(sums.length, 3);

    await assert.rejects(events.append(t.id, { agentId: a1.id, at: at(0), state: 'sleeping' as never }), ValidationError);
    await assert.rejects(events.append(t.id, { agentId: '00000000-0000-4000-8000-000000000000', at: at(0), state: 'available' }), NotFoundError);
  });

  test("tenant isolation: another tenant's agents take no events here and show in no summary", async () => {
    const db = ctx.store().db;
    const tenants = tenantsRepository(db, ctx.clock);
    const a = await tenants.create({ slug: 'ae-a', name: 'A' });
    const b = await tenants.create({ slug: 'ae-b', name: 'B' });
    const agentB = await agentsRepository(db, ctx.clock).create(b.id, { extension: '1001' }, 'root');
    const events = agentEventsRepository(db, ctx.clock);
    const now = new Date(ctx.clock.wallNow());
    await assert.rejects(events.append(a.id, { agentId: agentB.id, at: now, state: 'available' }), NotFoundError);
    await events.append(b.id, { agentId: agentB.id, at: now, state: 'available' });
    assert.deepEqual(await events.list(a.id, {}), []);
    assert.deepEqual(await events.latest(a.id), []);
    assert.deepEqual(await events.summaries(a.id, { since: new Date(0), until: now }), []);
  });
});
