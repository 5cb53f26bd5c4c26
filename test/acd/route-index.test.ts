import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { route } from '../../src/acd/router.ts';
import { RouteIndex } from '../../src/acd/route-index.ts';
import type { AgentSnapshot, RoutingDecision, WaitingCall } from '../../src/acd/types.ts';
import type { QueueConfig } from '../../src/acd/queue-config.ts';
import { agent, call, queue } from './fixtures.ts';

const sorted = (ds: readonly RoutingDecision[]): string[] => ds.map((d) => JSON.stringify(d)).sort();

/** The reference: route() over plain arrays, applied the way a runtime applies decisions. */
class Model {
  waiting: WaitingCall[] = [];
  free: AgentSnapshot[] = [];
  rr: Record<string, string> = {};
  extra: Record<string, string[]> = {};
  constructor(readonly queues: QueueConfig[]) {}
  route(now: number) {
    return route({ queues: this.queues, waiting: this.waiting, agents: this.free, now, rr: this.rr, extraGroups: this.extra });
  }
  apply(ds: readonly RoutingDecision[]): void {
    for (const d of ds) {
      this.waiting = this.waiting.filter((c) => c.id !== d.callId);
      if (d.kind === 'offer') this.free = this.free.filter((a) => a.id !== d.agentId);
    }
  }
}

describe('RouteIndex unit cases', () => {
  test('a freed agent takes the first call in service order it may take, across queues', () => {
    const qs = [queue({ name: 'orders', priority: 50 }), queue({ name: 'vip', priority: 80, requiredSkills: [{ skill: 'vip', minProficiency: 5 }] })];
    const ix = new RouteIndex({ queues: qs });
    assert.deepEqual(ix.addCall(call('o1', 'orders', { enteredAt: 0 }), 0), []);
    assert.deepEqual(ix.addCall(call('v1', 'vip', { enteredAt: 10 }), 10), []);
    assert.deepEqual(ix.agentAvailable(agent('plain'), 20), [{ kind: 'offer', callId: 'o1', agentId: 'plain', queue: 'orders' }], 'no vip skill: the orders call');
    assert.deepEqual(ix.agentAvailable(agent('gold', { skills: { vip: 7 } }), 30), [{ kind: 'offer', callId: 'v1', agentId: 'gold', queue: 'vip' }]);
    assert.equal(ix.waitingCount, 0);
  });
  test('relaxation and overflow fire on the timers, max size gives the most junior call the full target', () => {
    const qs = [
      queue({ name: 'a', requiredSkills: [{ skill: 's', minProficiency: 8 }], relax: [{ afterSeconds: 30, minProficiency: 3 }], overflow: [{ afterSeconds: 60, queue: 'b' }], maxSize: 2 }),
      queue({ name: 'b' }),
    ];
    const ix = new RouteIndex({ queues: qs });
    ix.agentAvailable(agent('weak', { skills: { s: 4 }, groups: ['x'] }), 0);
    assert.deepEqual(ix.addCall(call('c1', 'a', { enteredAt: 0 }), 0), []);
    assert.deepEqual(ix.addCall(call('c2', 'a', { enteredAt: 1 }), 1), []);
    assert.deepEqual(ix.addCall(call('c3', 'a', { enteredAt: 2 }), 2), [{ kind: 'target', callId: 'c3', queue: 'a', reason: 'full', target: { kind: 'voicemail' } }]);
    assert.equal(ix.nextCheckAt(), 30_000);
    assert.deepEqual(ix.advance(30_000), [{ kind: 'offer', callId: 'c1', agentId: 'weak', queue: 'a' }], 'relaxed to 3: the weak agent now qualifies');
    assert.equal(ix.nextCheckAt(), 30_001, "c2's relax step");
    assert.deepEqual(ix.advance(30_001), [], 'nobody free');
    assert.deepEqual(ix.advance(60_001), [{ kind: 'overflow', callId: 'c2', from: 'a', to: 'b' }]);
    assert.equal(ix.nextCheckAt(), undefined);
  });
  test('bad input is refused with the reason', () => {
    const ix = new RouteIndex({ queues: [queue({ name: 'q' })] });
    assert.throws(() => ix.addCall(call('c', 'nope'), 0), /unknown queue "nope"/);
    ix.addCall(call('c', 'q'), 0);
    assert.throws(() => ix.addCall(call('c', 'q'), 0), /already waiting/);
    assert.throws(() => ix.agentAvailable(agent('a', { state: 'break' }), 0), /is break, not available/);
  });
});

// ---- the equality with route(), over random event sequences ----
const SKILLS = ['orders', 'returns', 'vip'];
const AGENT_IDS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];
const arbTarget = fc.constantFrom({ kind: 'voicemail' }, { kind: 'callback' }, { kind: 'queue', queue: 'qb' });
const arbQueues = fc
  .uniqueArray(
    fc.record({
      name: fc.constantFrom('qa', 'qb', 'qc'),
      priority: fc.integer({ min: 0, max: 3 }),
      strategy: fc.constantFrom('longest-idle', 'least-occupied', 'best-skill', 'round-robin'),
      requiredSkills: fc.array(fc.record({ skill: fc.constantFrom(...SKILLS), minProficiency: fc.integer({ min: 1, max: 8 }) }), { maxLength: 1 }),
      agentGroups: fc.constantFrom([], [], ['g1']),
      relax: fc.array(
        fc.record({
          afterSeconds: fc.constantFrom(1, 5, 20, 30),
          minProficiency: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
          dropSkills: fc.option(fc.array(fc.constantFrom(...SKILLS), { maxLength: 1 }), { nil: undefined }),
        }),
        { maxLength: 2 },
      ),
      overflow: fc.array(fc.record({ afterSeconds: fc.constantFrom(10, 40, 60), queue: fc.constantFrom('qa', 'qb', 'qc', 'qz') }), { maxLength: 2 }),
      maxSize: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      maxWaitSeconds: fc.option(fc.constantFrom(20, 50, 90), { nil: undefined }),
      onFull: arbTarget,
      customerTypes: fc.record({ sameAgentWithinSeconds: fc.constantFrom(0, 0, 15, 45), vipPriorityBoost: fc.constantFrom(0, 2), returningPriorityBoost: fc.constantFrom(0, 1) }),
    }),
    { selector: (q) => q.name, minLength: 1, maxLength: 3 },
  )
  .map((qs) => qs.map((q) => queue(q as never)));
const arbSkills = fc.record(
  Object.fromEntries(SKILLS.map((s) => [s, fc.constantFrom(0, 4, 6, 8, 9, 10)])),
) as fc.Arbitrary<Record<string, number>>;
const arbAgentTraits = fc.tuple(...AGENT_IDS.map(() => fc.record({ skills: arbSkills, groups: fc.constantFrom(['g1'], ['g1'], ['g2'], ['g1', 'g2']).map((g) => [...g]) })));
const DT = fc.constantFrom(0, 1, 999, 1000, 4000, 10_000, 30_000);
const arbCmd = fc.oneof(
  fc.record({
    t: fc.constant('add' as const),
    dt: DT,
    q: fc.nat(2),
    back: fc.constantFrom(0, 0, 0, 500, 15_000, 70_000),
    senior: fc.constantFrom(0, 0, 3000),
    priority: fc.integer({ min: 0, max: 2 }),
    customerType: fc.constantFrom('new', 'returning', 'vip'),
    skills: fc.subarray(SKILLS, { maxLength: 1 }),
    kind: fc.constantFrom('call', 'call', 'call', 'callback'),
    front: fc.boolean(),
    refusedBy: fc.subarray(AGENT_IDS, { maxLength: 2 }),
    lastAgent: fc.option(fc.record({ id: fc.constantFrom(...AGENT_IDS), ago: fc.constantFrom(0, 10_000, 50_000) }), { nil: null }),
  }),
  fc.record({ t: fc.constant('free' as const), dt: DT, a: fc.nat(AGENT_IDS.length - 1), idle: fc.constantFrom(0, 1000, 90_000), talk: fc.nat(5000), answered: fc.nat(3) }),
  fc.record({ t: fc.constant('gone' as const), dt: DT, a: fc.nat(AGENT_IDS.length - 1) }),
  fc.record({ t: fc.constant('remove' as const), dt: DT, i: fc.nat(20) }),
  fc.record({ t: fc.constant('tick' as const), dt: DT }),
  fc.record({ t: fc.constant('groups' as const), dt: DT, q: fc.nat(2), g: fc.subarray(['g1', 'g2']) }),
);

test('property: one event at a time, RouteIndex decides exactly what route() decides over the whole state', () => {
  fc.assert(
    fc.property(arbQueues, arbAgentTraits, fc.array(arbCmd, { minLength: 5, maxLength: 80, size: 'large' }), (queues, traits, cmds) => {
      const model = new Model(queues);
      const ix = new RouteIndex({ queues });
      let now = 1_000_000;
      let seq = 0;
      const check = (label: string, got: RoutingDecision[]): void => {
        const want = model.route(now);
        assert.deepEqual(sorted(got), sorted(want.decisions), `${label} at ${now}: decisions`);
        assert.deepEqual(ix.rr, want.rr, `${label}: round-robin state`);
        model.apply(want.decisions);
        model.rr = { ...want.rr };
        const settled = model.route(now);
        assert.deepEqual(settled.decisions, [], `${label}: route() leaves nothing to decide`);
        assert.equal(ix.nextCheckAt(), settled.nextCheckAt, `${label}: nextCheckAt`);
        assert.equal(ix.waitingCount, model.waiting.length, `${label}: waiting count`);
        for (const d of want.decisions) {
          if (d.kind !== 'overflow') continue; // the runtime puts it in the new queue: one more event
          const moved = { ...lastSeen.get(d.callId)!, queue: d.to, enteredAt: now };
          model.waiting.push(moved);
          check(`re-add ${d.callId} to ${d.to}`, ix.addCall(moved, now));
        }
      };
      const lastSeen = new Map<string, WaitingCall>();
      for (const cmd of cmds) {
        now += cmd.dt;
        for (const c of model.waiting) lastSeen.set(c.id, c);
        check('timers', ix.advance(now));
        for (const c of model.waiting) lastSeen.set(c.id, c);
        switch (cmd.t) {
          case 'add': {
            const q = queues[cmd.q % queues.length]!;
            const enteredAt = now - cmd.back;
            const c = call(`c${++seq}`, q.name, {
              enteredAt, firstEnteredAt: enteredAt - cmd.senior, priority: cmd.priority, customerType: cmd.customerType as WaitingCall['customerType'],
              skills: cmd.skills, kind: cmd.kind as WaitingCall['kind'], requeuedAtFront: cmd.front, refusedBy: cmd.refusedBy,
              lastAgentId: cmd.lastAgent?.id ?? null, lastAgentAt: cmd.lastAgent ? now - cmd.lastAgent.ago : null,
            });
            model.waiting.push(c);
            lastSeen.set(c.id, c);
            check(`add ${c.id}`, ix.addCall(c, now));
            break;
          }
          case 'free': {
            const id = AGENT_IDS[cmd.a]!;
            const a = agent(id, { ...traits[cmd.a]!, stateSince: now, lastCallEndedAt: now - cmd.idle, talkMsToday: cmd.talk, answeredToday: cmd.answered, loggedInMsToday: 10_000 });
            model.free = [...model.free.filter((x) => x.id !== id), a];
            check(`free ${id}`, ix.agentAvailable(a, now));
            break;
          }
          case 'gone': {
            const id = AGENT_IDS[cmd.a]!;
            assert.equal(ix.agentGone(id), model.free.some((x) => x.id === id));
            model.free = model.free.filter((x) => x.id !== id);
            check(`gone ${id}`, []);
            break;
          }
          case 'remove': {
            const c = model.waiting[cmd.i % Math.max(model.waiting.length, 1)];
            if (!c) break;
            assert.ok(ix.removeCall(c.id), `remove ${c.id}`);
            model.waiting = model.waiting.filter((x) => x.id !== c.id);
            check(`remove ${c.id}`, []);
            break;
          }
          case 'groups': {
            const q = queues[cmd.q % queues.length]!;
            model.extra = { ...model.extra, [q.name]: cmd.g };
            check(`groups ${q.name}`, ix.setExtraGroups(model.extra, now));
            break;
          }
          case 'tick':
            break;
        }
      }
    }),
    { numRuns: 300 },
  );
});
