import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { route } from '../../src/acd/router.ts';
import { isEligible } from '../../src/acd/eligibility.ts';
import type { AgentSnapshot, RoutingDecision, WaitingCall } from '../../src/acd/types.ts';
import type { QueueConfig } from '../../src/acd/queue-config.ts';
import { agent, call, queue } from './fixtures.ts';

const offers = (ds: RoutingDecision[]): string[] =>
  ds.filter((d) => d.kind === 'offer').map((d) => (d.kind === 'offer' ? `${d.callId}->${d.agentId}` : ''));

describe('strategies', () => {
  test('longest idle: the agent whose last call ended earliest', () => {
    const q = queue({ name: 'q' });
    const agents = [agent('a', { lastCallEndedAt: 500 }), agent('b', { lastCallEndedAt: 100 }), agent('c', { lastCallEndedAt: 300 })];
    const r = route({ queues: [q], waiting: [call('c1', 'q'), call('c2', 'q', { enteredAt: 10 })], agents, now: 1000, rr: {} });
    assert.deepEqual(offers(r.decisions), ['c1->b', 'c2->c'], 'oldest call to the longest-idle agent, then the next');
  });
  test('least occupied today: lowest talk share of logged-in time', () => {
    const q = queue({ name: 'q', strategy: 'least-occupied' });
    const agents = [
      agent('a', { talkMsToday: 30, loggedInMsToday: 100 }),
      agent('b', { talkMsToday: 50, loggedInMsToday: 1000 }),
      agent('c', { talkMsToday: 0, loggedInMsToday: 0, lastCallEndedAt: 5 }),
    ];
    const r = route({ queues: [q], waiting: [call('c1', 'q'), call('c2', 'q', { enteredAt: 1 }), call('c3', 'q', { enteredAt: 2 })], agents, now: 10, rr: {} });
    assert.deepEqual(offers(r.decisions), ['c1->c', 'c2->b', 'c3->a']);
  });
  test('best skill match: highest proficiency over the needed skills', () => {
    const q = queue({ name: 'q', strategy: 'best-skill', requiredSkills: [{ skill: 'orders', minProficiency: 3 }] });
    const agents = [agent('a', { skills: { orders: 5 } }), agent('b', { skills: { orders: 9 } }), agent('c', { skills: { orders: 2 } })];
    const r = route({ queues: [q], waiting: [call('c1', 'q'), call('c2', 'q', { enteredAt: 1 }), call('c3', 'q', { enteredAt: 2 })], agents, now: 10, rr: {} });
    assert.deepEqual(offers(r.decisions), ['c1->b', 'c2->a'], 'c (proficiency 2 < 3) never gets one');
  });
  test('round robin: continues after the last agent offered, wrapping, across batches', () => {
    const q = queue({ name: 'q', strategy: 'round-robin' });
    const agents = [agent('a'), agent('b'), agent('c')];
    const r1 = route({ queues: [q], waiting: [call('c1', 'q')], agents, now: 1, rr: { q: 'a' } });
    assert.deepEqual(offers(r1.decisions), ['c1->b']);
    assert.equal(r1.rr.q, 'b');
    const r2 = route({ queues: [q], waiting: [call('c2', 'q'), call('c3', 'q', { enteredAt: 1 })], agents, now: 2, rr: r1.rr });
    assert.deepEqual(offers(r2.decisions), ['c2->c', 'c3->a'], 'wraps to a after c');
  });
});

describe('customer types', () => {
  test('VIP is served before an earlier new caller', () => {
    const q = queue({ name: 'q' });
    const r = route({ queues: [q], waiting: [call('new', 'q', { enteredAt: 0 }), call('vip', 'q', { enteredAt: 50, customerType: 'vip' })], agents: [agent('a')], now: 100, rr: {} });
    assert.deepEqual(offers(r.decisions), ['vip->a']);
  });
  test('same agent as last time within N seconds, else the strategy', () => {
    const q = queue({ name: 'q', customerTypes: { sameAgentWithinSeconds: 600 } });
    const agents = [agent('a', { lastCallEndedAt: 0 }), agent('b', { lastCallEndedAt: 100 })];
    const within = route({ queues: [q], waiting: [call('c', 'q', { lastAgentId: 'b', lastAgentAt: 1000 })], agents, now: 1000 + 599_000, rr: {} });
    assert.deepEqual(offers(within.decisions), ['c->b']);
    const late = route({ queues: [q], waiting: [call('c', 'q', { lastAgentId: 'b', lastAgentAt: 1000 })], agents, now: 1000 + 601_000, rr: {} });
    assert.deepEqual(offers(late.decisions), ['c->a'], 'after N seconds the longest-idle agent');
  });
  test('across queues sharing agents: higher queue priority first', () => {
    const lo = queue({ name: 'lo', priority: 10 });
    const hi = queue({ name: 'hi', priority: 90 });
    const r = route({ queues: [lo, hi], waiting: [call('x', 'lo', { enteredAt: 0 }), call('y', 'hi', { enteredAt: 500 })], agents: [agent('a')], now: 1000, rr: {} });
    assert.deepEqual(offers(r.decisions), ['y->a']);
  });
});

describe('relaxation, overflow, limits, requeue', () => {
  const q = queue({
    name: 'q', requiredSkills: [{ skill: 'returns', minProficiency: 7 }],
    relax: [{ afterSeconds: 30, minProficiency: 4 }, { afterSeconds: 90, dropSkills: ['returns'] }],
    overflow: [{ afterSeconds: 120, queue: 'general' }],
  });
  const agents = [agent('weak', { skills: { returns: 5 } }), agent('none', { skills: {} })];
  test('relaxation widens the eligible agents as the call waits', () => {
    const at = (s: number) => offers(route({ queues: [q], waiting: [call('c', 'q')], agents, now: s * 1000, rr: {} }).decisions);
    assert.deepEqual(at(10), [], 'nobody has returns ≥ 7');
    assert.equal(route({ queues: [q], waiting: [call('c', 'q')], agents, now: 10_000, rr: {} }).nextCheckAt, 30_000, 'route again when the first relax step is due');
    assert.deepEqual(at(30), ['c->weak'], 'at 30 s proficiency 4 is enough');
    assert.deepEqual(offers(route({ queues: [q], waiting: [call('c', 'q')], agents: [agents[1]!], now: 90_000, rr: {} }).decisions), ['c->none'], 'at 90 s the skill is dropped');
  });
  test('overflow after its wait when no agent can take it', () => {
    const general = queue({ name: 'general' });
    const r = route({ queues: [q, general], waiting: [call('c', 'q')], agents: [], now: 121_000, rr: {} });
    assert.deepEqual(r.decisions, [{ kind: 'overflow', callId: 'c', from: 'q', to: 'general' }]);
    const before = route({ queues: [q, general], waiting: [call('c', 'q')], agents: [], now: 119_000, rr: {} });
    assert.deepEqual(before.decisions, []);
    assert.equal(before.nextCheckAt, 120_000, 'route again when the overflow step is due');
    assert.deepEqual(route({ queues: [q], waiting: [call('c', 'q')], agents: [], now: 121_000, rr: {} }).decisions, [], 'no overflow into a queue that does not exist (the call would be stuck there)');
  });
  test('max wait and max size give target decisions', () => {
    const m = queue({ name: 'm', maxWaitSeconds: 60, maxSize: 2, onFull: { kind: 'callback' } });
    const waiting = [
      call('old', 'm', { enteredAt: 0 }), call('a1', 'm', { enteredAt: 20_000 }), call('b', 'm', { enteredAt: 30_000 }),
      call('cb', 'm', { enteredAt: 0, kind: 'callback' }), call('c', 'm', { enteredAt: 40_000 }), call('d', 'm', { enteredAt: 50_000 }),
    ];
    const r = route({ queues: [m], waiting, agents: [], now: 61_000, rr: {} });
    assert.deepEqual(r.decisions, [
      { kind: 'target', callId: 'old', queue: 'm', reason: 'max-wait', target: { kind: 'voicemail' } },
      { kind: 'target', callId: 'c', queue: 'm', reason: 'full', target: { kind: 'callback' } },
      { kind: 'target', callId: 'd', queue: 'm', reason: 'full', target: { kind: 'callback' } },
    ], 'a keep-place callback gets no target and takes no room; a1 and b fill the 2 places');
    assert.equal(r.nextCheckAt, 80_000, 'a1 reaches max wait at 80 s');
  });
  test('calls offered in the batch do not count toward max size', () => {
    const m = queue({ name: 'm', maxSize: 2 });
    const r = route({ queues: [m], waiting: [call('p1', 'm'), call('p2', 'm', { enteredAt: 1 }), call('p3', 'm', { enteredAt: 2 })], agents: [agent('x')], now: 10, rr: {} });
    assert.deepEqual(r.decisions, [{ kind: 'offer', callId: 'p1', agentId: 'x', queue: 'm' }], 'p2 and p3 fit once p1 is offered');
  });
  test('a call requeued at the front after a no-answer goes first, not to the refusing agent', () => {
    const g = queue({ name: 'g' });
    const waiting = [call('early', 'g', { enteredAt: 0 }), call('back', 'g', { enteredAt: 50, requeuedAtFront: true, refusedBy: ['a'] })];
    const r = route({ queues: [g], waiting, agents: [agent('a', { lastCallEndedAt: 0 }), agent('b', { lastCallEndedAt: 10 })], now: 100, rr: {} });
    assert.deepEqual(offers(r.decisions), ['back->b', 'early->a']);
    const alone = route({ queues: [g], waiting: [waiting[1]!], agents: [agent('a')], now: 100, rr: {} });
    assert.deepEqual(alone.decisions, [], 'the only agent refused it');
  });
  test('groups: only agents in the queue groups, plus tier-added groups', () => {
    const gq = queue({ name: 'gq', agentGroups: ['tier1'] });
    const agents2 = [agent('t2', { groups: ['tier2'] })];
    assert.deepEqual(route({ queues: [gq], waiting: [call('c', 'gq')], agents: agents2, now: 1, rr: {} }).decisions, []);
    assert.deepEqual(offers(route({ queues: [gq], waiting: [call('c', 'gq')], agents: agents2, now: 1, rr: {}, extraGroups: { gq: ['tier2'] } }).decisions), ['c->t2']);
  });
});

// ---- properties ----
const SKILLS = ['orders', 'returns', 'vip'];
const arbQueue = fc.record({
  name: fc.constantFrom('qa', 'qb', 'qc'),
  priority: fc.integer({ min: 0, max: 100 }),
  strategy: fc.constantFrom('longest-idle', 'least-occupied', 'best-skill', 'round-robin'),
  requiredSkills: fc.array(fc.record({ skill: fc.constantFrom(...SKILLS), minProficiency: fc.integer({ min: 1, max: 10 }) }), { maxLength: 2 }),
  agentGroups: fc.array(fc.constantFrom('g1', 'g2'), { maxLength: 2 }),
  relax: fc.array(fc.record({ afterSeconds: fc.integer({ min: 1, max: 100 }), minProficiency: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }) }), { maxLength: 2 }),
  customerTypes: fc.record({ sameAgentWithinSeconds: fc.integer({ min: 0, max: 100 }) }),
}).map((q) => queue(q as never));
const arbQueues = fc.uniqueArray(arbQueue, { selector: (q) => q.name, minLength: 1, maxLength: 3 });
const arbAgents = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom('a1', 'a2', 'a3', 'a4', 'a5', 'a6'),
    state: fc.constantFrom('available', 'available', 'ringing', 'on-call', 'break', 'offline'),
    skills: fc.dictionary(fc.constantFrom(...SKILLS), fc.integer({ min: 1, max: 10 })),
    groups: fc.array(fc.constantFrom('g1', 'g2'), { maxLength: 2 }),
    lastCallEndedAt: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
    talkMsToday: fc.integer({ min: 0, max: 1000 }),
  }),
  { selector: (a) => a.id, maxLength: 6 },
).map((as) => as.map((a) => agent(a.id, a as Partial<AgentSnapshot>)));
const arbCalls = fc.uniqueArray(
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 3 }),
    queue: fc.constantFrom('qa', 'qb', 'qc'),
    enteredAt: fc.integer({ min: 0, max: 200_000 }),
    priority: fc.integer({ min: 0, max: 10 }),
    customerType: fc.constantFrom('new', 'returning', 'vip'),
    skills: fc.array(fc.constantFrom(...SKILLS), { maxLength: 2 }),
    requeuedAtFront: fc.boolean(),
    refusedBy: fc.array(fc.constantFrom('a1', 'a2', 'a3'), { maxLength: 2 }),
    lastAgentId: fc.option(fc.constantFrom('a1', 'a2'), { nil: null }),
  }),
  { selector: (c) => c.id, maxLength: 12 },
).map((cs) => cs.map((c) => call(c.id, c.queue, { ...c, lastAgentAt: c.lastAgentId ? c.enteredAt : null } as Partial<WaitingCall>)));

const NOW = 250_000;
const prio = (q: QueueConfig, c: WaitingCall) => q.priority + (c.customerType === 'vip' ? q.customerTypes.vipPriorityBoost : c.customerType === 'returning' ? q.customerTypes.returningPriorityBoost : 0) + c.priority;

test('property: offers only eligible agents, never double-books, deterministic, inputs untouched', () => {
  fc.assert(
    fc.property(arbQueues, arbAgents, arbCalls, (queues, agents, waiting) => {
      const before = JSON.stringify({ queues, agents, waiting });
      const r = route({ queues, waiting, agents, now: NOW, rr: {} });
      assert.equal(JSON.stringify({ queues, agents, waiting }), before, 'inputs not mutated');
      assert.deepEqual(route({ queues, waiting, agents, now: NOW, rr: {} }), r, 'deterministic');
      const qs = new Map(queues.map((q) => [q.name, q]));
      const usedA = new Set<string>();
      const usedC = new Set<string>();
      for (const d of r.decisions) {
        assert.ok(!usedC.has(d.callId), `call ${d.callId} decided twice`);
        usedC.add(d.callId);
        if (d.kind !== 'offer') continue;
        assert.ok(!usedA.has(d.agentId), `agent ${d.agentId} offered twice`);
        usedA.add(d.agentId);
        const a = agents.find((x) => x.id === d.agentId)!;
        const c = waiting.find((x) => x.id === d.callId)!;
        assert.ok(isEligible(a, c, qs.get(c.queue)!, NOW), `offered ${a.id} not eligible for ${c.id}`);
      }
    }),
    { numRuns: 400 },
  );
});

test('property: a call left waiting that an unused eligible agent could take has no higher priority than every offered call', () => {
  fc.assert(
    fc.property(arbQueues, arbAgents, arbCalls, (queues, agents, waiting) => {
      const r = route({ queues, waiting, agents, now: NOW, rr: {} });
      const qs = new Map(queues.map((q) => [q.name, q]));
      const offered = new Set(r.decisions.filter((d) => d.kind === 'offer').map((d) => d.callId));
      const usedA = new Set(r.decisions.flatMap((d) => (d.kind === 'offer' ? [d.agentId] : [])));
      for (const c of waiting) {
        const q = qs.get(c.queue);
        if (!q || offered.has(c.id)) continue;
        const free = agents.filter((a) => !usedA.has(a.id) && isEligible(a, c, q, NOW));
        assert.equal(free.length, 0, `call ${c.id} left waiting while ${free.map((a) => a.id)} free and eligible`);
      }
      // Every offer served in priority order: a later offer never has a strictly higher priority than an earlier one.
      const ps = r.decisions.flatMap((d) => (d.kind === 'offer' ? [prio(qs.get(d.queue)!, waiting.find((c) => c.id === d.callId)!)] : []));
      for (let i = 1; i < ps.length; i++) assert.ok(ps[i]! <= ps[i - 1]!, `offers out of priority order: ${ps}`);
    }),
    { numRuns: 400 },
  );
});

test('property: relaxation only ever widens eligibility as the wait grows', () => {
  fc.assert(
    fc.property(arbQueue, arbAgents, arbCalls, fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }), (q, agents, calls, t1, t2) => {
      const [early, late] = t1 <= t2 ? [t1, t2] : [t2, t1];
      for (const c0 of calls) {
        const c = { ...c0, queue: q.name, enteredAt: 0 };
        for (const a of agents) {
          if (isEligible(a, c, q, early)) assert.ok(isEligible(a, c, q, late), `${a.id} eligible at ${early} but not at ${late}`);
        }
      }
    }),
  );
});

test('calls of one queue with different waits get their own (relaxed) requirements in one batch', () => {
  const q = queue({ name: 'q', requiredSkills: [{ skill: 'orders', minProficiency: 8 }], relax: [{ afterSeconds: 60, minProficiency: 2 }] });
  const agents = [agent('strong', { skills: { orders: 9 }, lastCallEndedAt: 50 }), agent('weak', { skills: { orders: 3 }, lastCallEndedAt: 0 })];
  const waiting = [call('old', 'q', { enteredAt: 0 }), call('new', 'q', { enteredAt: 90_000 })];
  const r = route({ queues: [q], waiting, agents, now: 100_000, rr: {} });
  assert.deepEqual(offers(r.decisions), ['old->weak', 'new->strong'], 'old (relaxed) takes the longest-idle weak agent; new still needs 8');
});

test('best-skill ties go to the longest idle; a refused agent is skipped for the next best', () => {
  const q = queue({ name: 'q', strategy: 'best-skill', requiredSkills: [{ skill: 'returns' }] });
  const agents = [agent('x', { skills: { returns: 7 }, lastCallEndedAt: 20 }), agent('y', { skills: { returns: 7 }, lastCallEndedAt: 10 }), agent('z', { skills: { returns: 4 } })];
  assert.deepEqual(offers(route({ queues: [q], waiting: [call('c', 'q')], agents, now: 100, rr: {} }).decisions), ['c->y']);
  assert.deepEqual(offers(route({ queues: [q], waiting: [call('c', 'q', { refusedBy: ['y', 'x'] })], agents, now: 100, rr: {} }).decisions), ['c->z']);
});

test('property: nothing changes between now and nextCheckAt (no polling needed)', () => {
  fc.assert(
    fc.property(arbQueues, arbAgents, arbCalls, fc.double({ min: 0, max: 1, noNaN: true }), (queues, agents, waiting, f) => {
      const now = 60_000;
      const r = route({ queues, waiting, agents, now, rr: {} });
      const until = r.nextCheckAt ?? now + 10_000_000;
      assert.ok(until > now, 'nextCheckAt is in the future');
      const t = now + Math.floor(f * (until - 1 - now));
      assert.deepEqual(route({ queues, waiting, agents, now: t, rr: {} }).decisions, r.decisions, `decisions changed at ${t} before ${until}`);
    }),
    { numRuns: 300 },
  );
});
