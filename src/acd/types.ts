/**
 * Plain data the pure ACD modules (router, EWT, stats, tiers, state machines) read and return.
 * Times are epoch milliseconds from an injected clock; nothing here does I/O.
 */
import type { QueueTarget } from './queue-config.ts';

export type AgentStateName = 'offline' | 'available' | 'ringing' | 'on-call' | 'wrap-up' | 'break';

export interface AgentSnapshot {
  id: string;
  extension: string;
  /** skill → proficiency 1..10 */
  skills: Record<string, number>;
  groups: string[];
  state: AgentStateName;
  stateSince: number;
  breakReason?: string;
  lastCallEndedAt: number | null;
  answeredToday: number;
  talkMsToday: number;
  loggedInMsToday: number;
}

export interface WaitingCall {
  id: string;
  queue: string;
  /** Entered the current queue (reset on overflow). */
  enteredAt: number;
  firstEnteredAt: number;
  /** Set by the flow. */
  priority: number;
  customerType: 'new' | 'returning' | 'vip';
  lastAgentId: string | null;
  lastAgentAt: number | null;
  /** From the flow's queue node (in addition to the queue's required skills). */
  skills: string[];
  kind: 'call' | 'callback';
  requeuedAtFront: boolean;
  refusedBy: string[];
}

export type RoutingDecision =
  | { kind: 'offer'; callId: string; agentId: string; queue: string }
  | { kind: 'overflow'; callId: string; from: string; to: string }
  | { kind: 'target'; callId: string; queue: string; reason: 'full' | 'max-wait'; target: QueueTarget };
