/** Builders for ACD tests: parsed queue configs, agents and waiting calls with sensible defaults. */
import { parseQueueConfig } from '../../src/acd/queue-config.ts';
import type { QueueConfig, QueueConfigInput } from '../../src/acd/queue-config.ts';
import type { AgentSnapshot, WaitingCall } from '../../src/acd/types.ts';

export const queue = (input: Partial<QueueConfigInput> & { name: string }): QueueConfig => parseQueueConfig(input);

export function agent(id: string, over: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return {
    id, extension: id, skills: {}, groups: [], state: 'available', stateSince: 0, lastCallEndedAt: null,
    answeredToday: 0, talkMsToday: 0, loggedInMsToday: 3_600_000, ...over,
  };
}

export function call(id: string, q: string, over: Partial<WaitingCall> = {}): WaitingCall {
  const enteredAt = over.enteredAt ?? 0;
  return {
    id, queue: q, enteredAt, firstEnteredAt: over.firstEnteredAt ?? enteredAt, priority: 0, customerType: 'new',
    lastAgentId: null, lastAgentAt: null, skills: [], kind: 'call', requeuedAtFront: false, refusedBy: [], ...over,
  };
}
