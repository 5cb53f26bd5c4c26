/**
 * The agent state machine as a pure reducer: agentTransition(snapshot, event, now) returns the
 * next snapshot (never mutating the input) or throws AgentStateError for an event the state does
 * not allow, so a race (DND while ringing, a double hangup) surfaces instead of leaving an agent
 * stuck. Max one voice call at a time: only an available agent can be offered a call.
 *
 *   offline ─register─▶ available ─offer─▶ ringing ─answer─▶ on-call ─hangup─▶ wrap-up ─wrap-up-done─▶ available
 *      ▲                 │    ▲              │ no-answer ─▶ break('no-answer')  (the phone is set away)
 *      │                 │    └─ reject / hangup (the caller left before the answer)
 *      │                 └─ set-break(reason) / dnd-on ─▶ break ─ set-available / dnd-off ─▶ available
 *      └─ unregister (from any state: the phone's last binding is gone)
 *
 * Breaks asked for while ringing or on a call are kept pending (breakReason set while the state is
 * not 'break') and taken when the call ends: after wrap-up, or at once if the offer is withdrawn.
 * set-available cancels a pending break. An agent unregistering while on break keeps the reason,
 * so when the phone registers again the agent is back on break, not available (the product
 * contract: a registered phone is available unless on break). register on a logged-in agent and
 * unregister on an offline one are no-ops: a REGISTER refresh or a duplicate expiry is normal.
 *
 * Counters: answeredToday at answer; talkMsToday at hangup (time on the call); loggedInMsToday at
 * every transition out of a logged-in state (time since stateSince); lastCallEndedAt at hangup.
 */
import type { AgentSnapshot, AgentStateName } from './types.ts';

export type AgentEvent =
  | { type: 'register' }
  | { type: 'unregister' }
  | { type: 'offer' }
  | { type: 'answer' }
  | { type: 'no-answer' }
  | { type: 'reject' }
  | { type: 'hangup' }
  | { type: 'wrap-up-done' }
  | { type: 'set-break'; reason: string }
  | { type: 'set-available' }
  | { type: 'dnd-on' }
  | { type: 'dnd-off' };

export class AgentStateError extends Error {
  override readonly name = 'AgentStateError';
  constructor(
    readonly from: AgentStateName,
    readonly event: AgentEvent['type'],
  ) {
    super(`agent state: '${event}' is not allowed when '${from}'`);
  }
}

/** Break reason after an offer the phone did not answer (no response, 408, 480…). */
export const NO_ANSWER_REASON = 'no-answer';
/** Break reason while the phone is in do-not-disturb. */
export const DND_REASON = 'dnd';

/** Leave the current state for `state` at `now`, accounting the logged-in time spent. */
function move(a: AgentSnapshot, state: AgentStateName, now: number, extra: Partial<AgentSnapshot> = {}): AgentSnapshot {
  const spent = a.state === 'offline' ? 0 : Math.max(0, now - a.stateSince);
  return { ...a, state, stateSince: now, loggedInMsToday: a.loggedInMsToday + spent, ...extra };
}

function withoutBreak(a: AgentSnapshot): AgentSnapshot {
  if (a.breakReason === undefined) return a;
  const { breakReason: _, ...rest } = a;
  return rest;
}

/** Available again, or on the break that was asked for meanwhile. */
function freeOrPendingBreak(a: AgentSnapshot, now: number, extra: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return a.breakReason !== undefined ? move(a, 'break', now, extra) : move(a, 'available', now, extra);
}

export function agentTransition(a: AgentSnapshot, e: AgentEvent, now: number): AgentSnapshot {
  const s = a.state;
  const bad = (): never => {
    throw new AgentStateError(s, e.type);
  };
  switch (e.type) {
    case 'register':
      if (s !== 'offline') return a;
      return freeOrPendingBreak(a, now);
    case 'unregister':
      if (s === 'offline') return a;
      // Keep a break reason only if the agent is on (or asked for) a break.
      return move(a, 'offline', now, s === 'on-call' ? talkEnded(a, now) : {});
    case 'offer':
      return s === 'available' ? move(a, 'ringing', now) : bad();
    case 'answer':
      return s === 'ringing' ? move(a, 'on-call', now, { answeredToday: a.answeredToday + 1 }) : bad();
    case 'no-answer':
      return s === 'ringing' ? move(a, 'break', now, { breakReason: NO_ANSWER_REASON }) : bad();
    case 'reject':
      return s === 'ringing' ? freeOrPendingBreak(a, now) : bad();
    case 'hangup':
      if (s === 'ringing') return freeOrPendingBreak(a, now);
      if (s === 'on-call') return move(a, 'wrap-up', now, talkEnded(a, now));
      return bad();
    case 'wrap-up-done':
      return s === 'wrap-up' ? freeOrPendingBreak(a, now) : bad();
    case 'set-break':
    case 'dnd-on': {
      const reason = e.type === 'dnd-on' ? DND_REASON : e.reason;
      if (s === 'available' || s === 'wrap-up' || s === 'break') return move(a, 'break', now, { breakReason: reason });
      if (s === 'ringing' || s === 'on-call') return { ...a, breakReason: reason }; // pending until the call ends
      return bad();
    }
    case 'set-available':
      if (s === 'available') return a;
      if (s === 'break' || s === 'wrap-up') return move(withoutBreak(a), 'available', now);
      if (s === 'ringing' || s === 'on-call') return withoutBreak(a); // cancels a pending break
      return bad();
    case 'dnd-off':
      if (a.breakReason !== DND_REASON) return bad();
      if (s === 'break') return move(withoutBreak(a), 'available', now);
      if (s === 'offline') return bad();
      return withoutBreak(a); // pending DND cancelled
  }
}

function talkEnded(a: AgentSnapshot, now: number): Partial<AgentSnapshot> {
  return { talkMsToday: a.talkMsToday + Math.max(0, now - a.stateSince), lastCallEndedAt: now };
}

/** Logged-in time today including the current state so far. */
export function loggedInMsAt(a: AgentSnapshot, now: number): number {
  return a.loggedInMsToday + (a.state === 'offline' ? 0 : Math.max(0, now - a.stateSince));
}

/** When the current wrap-up ends (the runtime schedules wrap-up-done then), or null. */
export function wrapUpEndsAt(a: AgentSnapshot, wrapUpSeconds: number): number | null {
  return a.state === 'wrap-up' ? a.stateSince + wrapUpSeconds * 1000 : null;
}

/** A break the agent asked for while busy, to be taken when the call ends. */
export function pendingBreak(a: AgentSnapshot): string | undefined {
  return a.state !== 'break' && a.state !== 'offline' ? a.breakReason : undefined;
}
