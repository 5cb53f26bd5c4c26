/**
 * The per-call queue state machine as a pure reducer: queueCallTransition(state, event, now)
 * returns the next state or throws QueueCallStateError, never mutating its input. The queue
 * runtime keeps one per caller in a queue and applies every SIP/media/router outcome through it,
 * so a caller or agent hanging up at any moment (ringing, connecting, bridged) ends in a defined
 * state instead of a stuck one.
 *
 *   waiting ──offer(agent)──▶ offered ──agent-answered──▶ connecting ──bridged──▶ bridged ──hangup──▶ ended
 *      │  ▲                     │                           │
 *      │  └── no-answer/reject ─┘ (back at the FRONT,        └── agent-hangup / connect-failed: back at the front
 *      │       the agent in refusedBy, never offered it again)    caller-hangup: abandoned
 *      ├── overflow(queue) ──▶ waiting (in the other queue, its own wait restarts)
 *      ├── request-callback ──▶ callback-requested     ├── voicemail ──▶ voicemail
 *      ├── to-flow ──▶ to-flow                         └── caller-hangup ──▶ abandoned
 *
 * `call` is the WaitingCall the router reads while the state is 'waiting' (queue, enteredAt,
 * requeuedAtFront and refusedBy follow the transitions). Terminal states: ended, abandoned,
 * callback-requested, voicemail, to-flow. Hangups are idempotent on a terminal state (both
 * parties hanging up at once is not an error); any other event there throws.
 */
import type { WaitingCall } from './types.ts';

export type QueueCallStateName =
  | 'waiting'
  | 'offered'
  | 'connecting'
  | 'bridged'
  | 'ended'
  | 'callback-requested'
  | 'voicemail'
  | 'abandoned'
  | 'to-flow';

/** Outcome of the queue visit, as the queue_calls CDR records it. */
export type QueueCallOutcome = 'answered' | 'abandoned' | 'callback' | 'voicemail' | 'target';

export interface QueueCallState {
  state: QueueCallStateName;
  /** When the current state was entered. */
  since: number;
  call: WaitingCall;
  /** The agent offered / connecting / bridged (kept after the end for the record). */
  agentId: string | null;
  /** Offers made to agents during this call (all queues). */
  offeredCount: number;
  answeredAt: number | null;
  bridgedAt: number | null;
  endedAt: number | null;
  outcome: QueueCallOutcome | null;
  /** Who ended a bridged call. */
  endedBy: 'caller' | 'agent' | null;
}

export type QueueCallEvent =
  | { type: 'offer'; agentId: string }
  | { type: 'agent-answered' }
  | { type: 'bridged' }
  | { type: 'no-answer' }
  | { type: 'reject' }
  | { type: 'connect-failed' }
  | { type: 'caller-hangup' }
  | { type: 'agent-hangup' }
  | { type: 'overflow'; queue: string }
  | { type: 'request-callback' }
  | { type: 'voicemail' }
  | { type: 'to-flow' };

export class QueueCallStateError extends Error {
  override readonly name = 'QueueCallStateError';
  constructor(
    readonly from: QueueCallStateName,
    readonly event: QueueCallEvent['type'],
  ) {
    super(`queue call: no transition from '${from}' on '${event}'`);
  }
}

export const TERMINAL_QUEUE_CALL_STATES: readonly QueueCallStateName[] = ['ended', 'abandoned', 'callback-requested', 'voicemail', 'to-flow'];

export function isTerminal(s: QueueCallState): boolean {
  return TERMINAL_QUEUE_CALL_STATES.includes(s.state);
}

/** A call that just entered its first queue. */
export function newQueueCall(call: WaitingCall): QueueCallState {
  return {
    state: 'waiting',
    since: call.enteredAt,
    call,
    agentId: null,
    offeredCount: 0,
    answeredAt: null,
    bridgedAt: null,
    endedAt: null,
    outcome: null,
    endedBy: null,
  };
}

/** Back to waiting at the front of the queue; the agent that failed is never offered this call again. */
function requeueAtFront(s: QueueCallState, now: number): QueueCallState {
  const agent = s.agentId;
  const refusedBy = agent !== null && !s.call.refusedBy.includes(agent) ? [...s.call.refusedBy, agent] : s.call.refusedBy;
  return { ...s, state: 'waiting', since: now, agentId: null, answeredAt: null, call: { ...s.call, requeuedAtFront: true, refusedBy } };
}

function finish(s: QueueCallState, state: QueueCallStateName, outcome: QueueCallOutcome, now: number): QueueCallState {
  return { ...s, state, since: now, endedAt: now, outcome };
}

export function queueCallTransition(s: QueueCallState, e: QueueCallEvent, now: number): QueueCallState {
  const bad = (): never => {
    throw new QueueCallStateError(s.state, e.type);
  };
  if (isTerminal(s)) return e.type === 'caller-hangup' || e.type === 'agent-hangup' ? s : bad();

  switch (e.type) {
    case 'offer':
      if (s.state !== 'waiting' || s.call.refusedBy.includes(e.agentId)) return bad();
      return { ...s, state: 'offered', since: now, agentId: e.agentId, offeredCount: s.offeredCount + 1 };
    case 'agent-answered':
      if (s.state !== 'offered') return bad();
      return { ...s, state: 'connecting', since: now, answeredAt: now };
    case 'bridged':
      if (s.state !== 'connecting') return bad();
      return { ...s, state: 'bridged', since: now, bridgedAt: now };
    case 'no-answer':
    case 'reject':
      if (s.state !== 'offered') return bad();
      return requeueAtFront(s, now);
    case 'connect-failed':
      if (s.state !== 'connecting') return bad();
      return requeueAtFront(s, now);
    case 'agent-hangup':
      if (s.state === 'bridged') return { ...finish(s, 'ended', 'answered', now), endedBy: 'agent' };
      if (s.state === 'connecting' || s.state === 'offered') return requeueAtFront(s, now);
      return bad();
    case 'caller-hangup':
      if (s.state === 'bridged') return { ...finish(s, 'ended', 'answered', now), endedBy: 'caller' };
      return finish(s, 'abandoned', 'abandoned', now); // waiting, offered or connecting
    case 'overflow':
      if (s.state !== 'waiting' || e.queue === s.call.queue) return bad();
      return { ...s, since: now, call: { ...s.call, queue: e.queue, enteredAt: now, requeuedAtFront: false } };
    case 'request-callback':
      if (s.state !== 'waiting' && s.state !== 'offered') return bad();
      return finish(s, 'callback-requested', 'callback', now);
    case 'voicemail':
      if (s.state !== 'waiting') return bad();
      return finish(s, 'voicemail', 'voicemail', now);
    case 'to-flow':
      if (s.state !== 'waiting') return bad();
      return finish(s, 'to-flow', 'target', now);
  }
}

/** Wait in the current queue: until answered, or until the end, or until now. */
export function waitMs(s: QueueCallState, now: number): number {
  return (s.answeredAt ?? s.endedAt ?? now) - s.call.enteredAt;
}

/** Talk time of a bridged call (to now while it lasts); 0 if never bridged. */
export function talkMs(s: QueueCallState, now: number): number {
  if (s.bridgedAt === null) return 0;
  return (s.endedAt ?? now) - s.bridgedAt;
}
