import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  QueueCallStateError,
  isTerminal,
  newQueueCall,
  queueCallTransition,
  talkMs,
  waitMs,
} from '../../src/acd/queue-call-state.ts';
import type { QueueCallEvent, QueueCallState } from '../../src/acd/queue-call-state.ts';
import { route } from '../../src/acd/router.ts';
import { agent, call, queue } from './fixtures.ts';

const start = (): QueueCallState => newQueueCall(call('c1', 'orders', { enteredAt: 1_000 }));

function run(s: QueueCallState, steps: [QueueCallEvent, number][]): QueueCallState {
  for (const [e, t] of steps) s = queueCallTransition(s, e, t);
  return s;
}

describe('queue call: the happy path and its record', () => {
  test('waiting → offered → connecting → bridged → ended (answered), with wait and talk times', () => {
    let s = start();
    assert.equal(s.state, 'waiting');
    s = queueCallTransition(s, { type: 'offer', agentId: 'a1' }, 31_000);
    assert.deepEqual([s.state, s.agentId, s.offeredCount], ['offered', 'a1', 1]);
    s = queueCallTransition(s, { type: 'agent-answered' }, 35_000);
    assert.equal(s.state, 'connecting');
    assert.equal(waitMs(s, 99_999), 34_000, 'wait = entered → answered, frozen after the answer');
    s = queueCallTransition(s, { type: 'bridged' }, 35_200);
    assert.equal(talkMs(s, 95_200), 60_000, 'talk so far while bridged');
    s = queueCallTransition(s, { type: 'agent-hangup' }, 215_200);
    assert.deepEqual([s.state, s.outcome, s.endedBy, s.agentId], ['ended', 'answered', 'agent', 'a1']);
    assert.equal(talkMs(s, 999_999), 180_000, 'talk = bridged → end');
    assert.ok(isTerminal(s));
  });

  test('callback, voicemail and flow targets end the visit with their outcome', () => {
    assert.deepEqual(
      [queueCallTransition(start(), { type: 'request-callback' }, 5_000)].map((s) => [s.state, s.outcome, s.endedAt]),
      [['callback-requested', 'callback', 5_000]],
    );
    assert.equal(queueCallTransition(start(), { type: 'voicemail' }, 5_000).outcome, 'voicemail');
    assert.equal(queueCallTransition(start(), { type: 'to-flow' }, 5_000).outcome, 'target');
    const ringing = queueCallTransition(start(), { type: 'offer', agentId: 'a1' }, 2_000);
    assert.equal(queueCallTransition(ringing, { type: 'request-callback' }, 3_000).state, 'callback-requested', '# pressed while an agent rings');
    assert.throws(() => queueCallTransition(ringing, { type: 'voicemail' }, 3_000), QueueCallStateError, 'voicemail only from waiting');
  });

  test('overflow moves the call to another queue: its wait there restarts, its seniority stays', () => {
    const s = queueCallTransition(start(), { type: 'overflow', queue: 'general' }, 61_000);
    assert.equal(s.state, 'waiting');
    assert.deepEqual([s.call.queue, s.call.enteredAt, s.call.firstEnteredAt], ['general', 61_000, 1_000]);
    assert.throws(() => queueCallTransition(s, { type: 'overflow', queue: 'general' }, 62_000), QueueCallStateError, 'not into its own queue');
  });
});

describe('queue call: agent no-answer re-queues at the front, never back to the same agent', () => {
  test('no-answer → waiting, requeuedAtFront, the agent in refusedBy; offering it again throws', () => {
    let s = run(start(), [[{ type: 'offer', agentId: 'a1' }, 2_000], [{ type: 'no-answer' }, 22_000]]);
    assert.deepEqual([s.state, s.agentId, s.call.requeuedAtFront, s.call.refusedBy], ['waiting', null, true, ['a1']]);
    assert.throws(() => queueCallTransition(s, { type: 'offer', agentId: 'a1' }, 23_000), QueueCallStateError);
    s = run(s, [[{ type: 'offer', agentId: 'a2' }, 23_000], [{ type: 'reject' }, 24_000]]);
    assert.deepEqual(s.call.refusedBy, ['a1', 'a2']);
    assert.equal(s.offeredCount, 2);
  });

  test('with the router: the re-queued call goes first, and to another agent', () => {
    const q = queue({ name: 'orders' });
    // c1 entered last but was re-queued after a1 did not answer; c0 waited longest otherwise
    const c1 = run(newQueueCall(call('c1', 'orders', { enteredAt: 5_000 })), [[{ type: 'offer', agentId: 'a1' }, 6_000], [{ type: 'no-answer' }, 26_000]]);
    const c0 = newQueueCall(call('c0', 'orders', { enteredAt: 1_000 }));
    const agents = [agent('a1', { stateSince: 0 }), agent('a2', { stateSince: 10 })]; // a1 idle longest
    const { decisions } = route({ queues: [q], waiting: [c0.call, c1.call], agents, now: 27_000, rr: {} });
    assert.deepEqual(decisions[0], { kind: 'offer', callId: 'c1', agentId: 'a2', queue: 'orders' }, 'front of the queue, not the refusing agent');
    assert.deepEqual(decisions[1], { kind: 'offer', callId: 'c0', agentId: 'a1', queue: 'orders' });
  });

  test('the agent leg failing or the agent hanging up before the bridge also re-queues at the front', () => {
    const connecting = run(start(), [[{ type: 'offer', agentId: 'a1' }, 2_000], [{ type: 'agent-answered' }, 3_000]]);
    for (const e of [{ type: 'connect-failed' }, { type: 'agent-hangup' }] as QueueCallEvent[]) {
      const s = queueCallTransition(connecting, e, 4_000);
      assert.deepEqual([s.state, s.call.requeuedAtFront, s.call.refusedBy, s.answeredAt], ['waiting', true, ['a1'], null], e.type);
    }
  });
});

describe('queue call: hangups at any moment leave a defined end', () => {
  test('caller hangs up while waiting, ringing, connecting or bridged', () => {
    const at = {
      waiting: start(),
      offered: run(start(), [[{ type: 'offer', agentId: 'a1' }, 2_000]]),
      connecting: run(start(), [[{ type: 'offer', agentId: 'a1' }, 2_000], [{ type: 'agent-answered' }, 3_000]]),
      bridged: run(start(), [[{ type: 'offer', agentId: 'a1' }, 2_000], [{ type: 'agent-answered' }, 3_000], [{ type: 'bridged' }, 3_100]]),
    };
    const ends = Object.fromEntries(Object.entries(at).map(([k, s]) => [k, queueCallTransition(s, { type: 'caller-hangup' }, 9_000)]));
    assert.deepEqual(
      Object.fromEntries(Object.entries(ends).map(([k, s]) => [k, [s.state, s.outcome]])),
      {
        waiting: ['abandoned', 'abandoned'],
        offered: ['abandoned', 'abandoned'],
        connecting: ['abandoned', 'abandoned'],
        bridged: ['ended', 'answered'],
      },
    );
    assert.equal(waitMs(ends['waiting']!, 50_000), 8_000, 'abandoned wait = entered → hangup');
  });

  test('both sides hanging up at once: the second hangup is a no-op; other events after the end throw', () => {
    const bridged = run(start(), [[{ type: 'offer', agentId: 'a1' }, 2_000], [{ type: 'agent-answered' }, 3_000], [{ type: 'bridged' }, 3_100]]);
    const ended = queueCallTransition(bridged, { type: 'caller-hangup' }, 9_000);
    assert.equal(queueCallTransition(ended, { type: 'agent-hangup' }, 9_001), ended, 'same state back');
    assert.throws(() => queueCallTransition(ended, { type: 'offer', agentId: 'a2' }, 9_002), QueueCallStateError);
  });
});

// ---- properties ------------------------------------------------------------------------------

const eventArb: fc.Arbitrary<QueueCallEvent> = fc.oneof(
  fc.constantFrom('a1', 'a2', 'a3').map((agentId): QueueCallEvent => ({ type: 'offer', agentId })),
  fc.constantFrom('orders', 'general').map((q): QueueCallEvent => ({ type: 'overflow', queue: q })),
  fc.constantFrom<QueueCallEvent>(
    { type: 'agent-answered' }, { type: 'bridged' }, { type: 'no-answer' }, { type: 'reject' }, { type: 'connect-failed' },
    { type: 'caller-hangup' }, { type: 'agent-hangup' }, { type: 'request-callback' }, { type: 'voicemail' }, { type: 'to-flow' },
  ),
);

describe('queue call: properties', () => {
  test('any event sequence keeps the machine consistent', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 30_000 })), { maxLength: 40 }), (steps) => {
        let s = start();
        let t = 1_000;
        let offers = 0;
        for (const [e, dt] of steps) {
          t += dt;
          const before = structuredClone(s);
          let next: QueueCallState;
          try {
            next = queueCallTransition(s, e, t);
          } catch (err) {
            assert.ok(err instanceof QueueCallStateError, 'only QueueCallStateError');
            assert.ok(!(isTerminal(s) && (e.type === 'caller-hangup' || e.type === 'agent-hangup')), 'hangups never throw after the end');
            assert.deepEqual(s, before);
            continue;
          }
          assert.deepEqual(s, before, 'input not mutated');
          if (isTerminal(s)) {
            assert.equal(next, s, 'a terminal state absorbs (only hangups get here)');
            continue;
          }
          if (e.type === 'offer') {
            offers++;
            assert.ok(!s.call.refusedBy.includes(e.agentId), 'never offered to an agent that refused it');
          }
          assert.ok(s.call.refusedBy.every((id) => next.call.refusedBy.includes(id)), 'refusedBy only grows');
          assert.equal(next.offeredCount, offers);
          assert.equal(next.call.firstEnteredAt, 1_000, 'seniority kept');
          if (next.state === 'waiting') assert.equal(next.agentId, null, 'a waiting call has no agent');
          if (next.state === 'offered' || next.state === 'connecting' || next.state === 'bridged') assert.ok(next.agentId, 'agent known');
          if (isTerminal(next)) assert.ok(next.outcome !== null && next.endedAt === t, 'an end has an outcome and a time');
          s = next;
        }
      }),
    );
  });
});
