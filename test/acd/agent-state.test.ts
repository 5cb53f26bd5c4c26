import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AgentStateError, agentTransition, loggedInMsAt, pendingBreak, wrapUpEndsAt } from '../../src/acd/agent-state.ts';
import type { AgentEvent } from '../../src/acd/agent-state.ts';
import type { AgentSnapshot, AgentStateName } from '../../src/acd/types.ts';

function offline(over: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return {
    id: 'a1', extension: '1001', skills: { orders: 5 }, groups: ['tier1'], state: 'offline', stateSince: 0,
    lastCallEndedAt: null, answeredToday: 0, talkMsToday: 0, loggedInMsToday: 0, ...over,
  };
}

/** Apply [event, at] steps in order. */
function run(a: AgentSnapshot, steps: [AgentEvent, number][]): AgentSnapshot {
  for (const [e, t] of steps) a = agentTransition(a, e, t);
  return a;
}

describe('agent state: a working day', () => {
  test('register, ring, answer, talk, wrap up, available again, with counters', () => {
    let a = agentTransition(offline(), { type: 'register' }, 1_000);
    assert.equal(a.state, 'available', 'a registered phone is available');
    a = agentTransition(a, { type: 'offer' }, 61_000);
    assert.equal(a.state, 'ringing');
    a = agentTransition(a, { type: 'answer' }, 65_000);
    assert.equal(a.state, 'on-call');
    assert.equal(a.answeredToday, 1, 'answered counted at answer');
    a = agentTransition(a, { type: 'hangup' }, 245_000);
    assert.equal(a.state, 'wrap-up');
    assert.equal(a.talkMsToday, 180_000, 'talk = answer → hangup');
    assert.equal(a.lastCallEndedAt, 245_000);
    assert.equal(wrapUpEndsAt(a, 10), 255_000, 'wrap-up of 10 s');
    a = agentTransition(a, { type: 'wrap-up-done' }, 255_000);
    assert.equal(a.state, 'available');
    assert.equal(wrapUpEndsAt(a, 10), null);
    assert.equal(a.loggedInMsToday, 254_000, 'logged in since 1 s, accounted at each transition');
    assert.equal(loggedInMsAt(a, 300_000), 299_000, 'live logged-in time includes the current state');
    a = agentTransition(a, { type: 'unregister' }, 300_000);
    assert.equal(a.state, 'offline');
    assert.equal(a.loggedInMsToday, 299_000);
    assert.equal(loggedInMsAt(a, 900_000), 299_000, 'offline time is not logged in');
  });

  test('no answer sets the agent away (break "no-answer"); set-available brings it back', () => {
    const a = run(offline(), [[{ type: 'register' }, 0], [{ type: 'offer' }, 10], [{ type: 'no-answer' }, 20_010]]);
    assert.equal(a.state, 'break');
    assert.equal(a.breakReason, 'no-answer');
    assert.throws(() => agentTransition(a, { type: 'offer' }, 20_020), AgentStateError, 'an away agent is never offered a call');
    const back = agentTransition(a, { type: 'set-available' }, 30_000);
    assert.equal(back.state, 'available');
    assert.equal(back.breakReason, undefined, 'reason cleared');
  });

  test('reject and a caller hanging up while ringing free the agent at once', () => {
    const ringing = run(offline(), [[{ type: 'register' }, 0], [{ type: 'offer' }, 10]]);
    assert.equal(agentTransition(ringing, { type: 'reject' }, 20).state, 'available');
    const gone = agentTransition(ringing, { type: 'hangup' }, 20);
    assert.equal(gone.state, 'available');
    assert.equal(gone.talkMsToday, 0, 'no talk time without an answer');
    assert.equal(gone.lastCallEndedAt, null);
  });

  test('phone DND: dnd-on is a break with reason dnd, dnd-off only ends that break', () => {
    const avail = run(offline(), [[{ type: 'register' }, 0]]);
    const dnd = agentTransition(avail, { type: 'dnd-on' }, 5);
    assert.deepEqual([dnd.state, dnd.breakReason], ['break', 'dnd']);
    assert.equal(agentTransition(dnd, { type: 'dnd-off' }, 9).state, 'available');
    const lunch = agentTransition(avail, { type: 'set-break', reason: 'lunch' }, 5);
    assert.throws(() => agentTransition(lunch, { type: 'dnd-off' }, 9), AgentStateError, 'dnd-off does not end a lunch break');
  });

  test('a break asked for during a call is taken when the call ends, after wrap-up', () => {
    let a = run(offline(), [[{ type: 'register' }, 0], [{ type: 'offer' }, 1], [{ type: 'answer' }, 2]]);
    a = agentTransition(a, { type: 'set-break', reason: 'lunch' }, 3);
    assert.equal(a.state, 'on-call', 'the call goes on');
    assert.equal(pendingBreak(a), 'lunch');
    a = run(a, [[{ type: 'hangup' }, 100], [{ type: 'wrap-up-done' }, 110]]);
    assert.deepEqual([a.state, a.breakReason], ['break', 'lunch']);
    assert.equal(pendingBreak(a), undefined, 'taken, no longer pending');
  });

  test('set-available during the call cancels the pending break', () => {
    const a = run(offline(), [
      [{ type: 'register' }, 0], [{ type: 'offer' }, 1], [{ type: 'answer' }, 2],
      [{ type: 'dnd-on' }, 3], [{ type: 'set-available' }, 4], [{ type: 'hangup' }, 5], [{ type: 'wrap-up-done' }, 6],
    ]);
    assert.equal(a.state, 'available');
  });

  test('on break across a phone restart: registering again keeps the break', () => {
    const a = run(offline(), [
      [{ type: 'register' }, 0], [{ type: 'set-break', reason: 'training' }, 10], [{ type: 'unregister' }, 20], [{ type: 'register' }, 30],
    ]);
    assert.deepEqual([a.state, a.breakReason], ['break', 'training']);
    const fresh = run(offline(), [[{ type: 'register' }, 0], [{ type: 'unregister' }, 20], [{ type: 'register' }, 30]]);
    assert.equal(fresh.state, 'available', 'an agent who was available comes back available');
  });

  test('unregister mid-call accounts the talk time; register/unregister repeats are no-ops', () => {
    const a = run(offline(), [[{ type: 'register' }, 0], [{ type: 'offer' }, 10], [{ type: 'answer' }, 20], [{ type: 'unregister' }, 80]]);
    assert.equal(a.state, 'offline');
    assert.equal(a.talkMsToday, 60, 'talk counted to the unregister');
    assert.equal(agentTransition(a, { type: 'unregister' }, 90), a, 'second unregister: same snapshot');
    const on = agentTransition(a, { type: 'register' }, 100);
    assert.equal(agentTransition(on, { type: 'register' }, 110), on, 'a REGISTER refresh changes nothing');
  });

  test('invalid transitions throw AgentStateError and leave the input untouched', () => {
    const a = offline();
    const frozen = structuredClone(a);
    for (const e of [{ type: 'offer' }, { type: 'answer' }, { type: 'hangup' }, { type: 'wrap-up-done' }, { type: 'set-available' }] as AgentEvent[]) {
      assert.throws(() => agentTransition(a, e, 5), (err: unknown) => err instanceof AgentStateError && err.from === 'offline' && err.event === e.type, e.type);
    }
    assert.deepEqual(a, frozen, 'input not mutated');
  });
});

// ---- properties ------------------------------------------------------------------------------

const eventArb: fc.Arbitrary<AgentEvent> = fc.oneof(
  fc.constantFrom<AgentEvent>(
    { type: 'register' }, { type: 'unregister' }, { type: 'offer' }, { type: 'answer' }, { type: 'no-answer' }, { type: 'reject' },
    { type: 'hangup' }, { type: 'wrap-up-done' }, { type: 'set-available' }, { type: 'dnd-on' }, { type: 'dnd-off' },
  ),
  fc.constantFrom('lunch', 'training').map((reason): AgentEvent => ({ type: 'set-break', reason })),
);

/** Independent table of what each state allows (the oracle the reducer is checked against). */
function allowed(a: AgentSnapshot, e: AgentEvent): boolean {
  const s: AgentStateName = a.state;
  switch (e.type) {
    case 'register':
    case 'unregister':
      return true;
    case 'offer':
      return s === 'available';
    case 'answer':
    case 'no-answer':
    case 'reject':
      return s === 'ringing';
    case 'hangup':
      return s === 'ringing' || s === 'on-call';
    case 'wrap-up-done':
      return s === 'wrap-up';
    case 'set-break':
    case 'dnd-on':
    case 'set-available':
      return s !== 'offline';
    case 'dnd-off':
      return s !== 'offline' && a.breakReason === 'dnd';
  }
}

describe('agent state: properties', () => {
  test('any event sequence: throws exactly on disallowed events, never mutates, keeps invariants and counters', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 60_000 })), { maxLength: 60 }), (steps) => {
        let a = offline();
        let t = 0;
        let loggedIn = 0; // oracle: total time spent not offline
        for (const [e, dt] of steps) {
          t += dt;
          if (a.state !== 'offline') loggedIn += dt; // the state held during the whole step
          const before = structuredClone(a);
          const ok = allowed(a, e);
          let next: AgentSnapshot;
          try {
            next = agentTransition(a, e, t);
          } catch (err) {
            assert.ok(err instanceof AgentStateError, 'only AgentStateError');
            assert.ok(!ok, `${e.type} in ${a.state} should be allowed`);
            assert.deepEqual(a, before, 'a rejected event leaves the snapshot as it was');
            continue;
          }
          assert.ok(ok, `${e.type} in ${a.state} should throw`);
          assert.deepEqual(a, before, 'input not mutated');
          if (next.state === 'break') assert.ok(next.breakReason, 'a break always has a reason');
          if (next.state === 'available') assert.equal(next.breakReason, undefined, 'available has no (pending) break');
          assert.ok(next.answeredToday === a.answeredToday + (e.type === 'answer' ? 1 : 0), 'answeredToday counts answers only');
          assert.ok(next.talkMsToday >= a.talkMsToday && next.loggedInMsToday >= a.loggedInMsToday, 'counters never go down');
          if (next.state === 'ringing' && a.state !== 'ringing') assert.equal(a.state, 'available', 'only an available agent is offered a call');
          if (e.type === 'no-answer') assert.deepEqual([next.state, next.breakReason], ['break', 'no-answer']);
          if (e.type === 'offer') assert.equal(next.state, 'ringing');
          if (e.type === 'answer') assert.equal(next.state, 'on-call');
          a = next;
        }
        assert.equal(loggedInMsAt(a, t), loggedIn, 'logged-in time = time spent not offline');
      }),
    );
  });
});
