/**
 * A node's live figures of its queues (GET /queues/{queue}/live, issue 4 §9): answers and
 * abandons per queue over the last hour, fed by the queue engine, turned into service level
 * over 15 and 60 minutes by the pure stats.ts; with the callers waiting now and the agents
 * serving the queue by state.
 */
import { longestWaitingMs, pruneEvents, queueStats, type QueueEvent } from '../stats.ts';
import type { QueueConfig } from '../queue-config.ts';
import type { AgentSnapshot, AgentStateName } from '../types.ts';

/** A type alias, not an interface: it then fits the API's open QueueLiveFigures shape. */
export type QueueLive = {
  queue: string;
  waiting: number;
  longestWaitMs: number;
  agents: Record<AgentStateName, number>;
  serviceLevel: { last15m: number | null; last60m: number | null };
};

/** Whether the agent is in the queue's groups (or the queue names none). */
export function servesQueue(config: QueueConfig | undefined, a: AgentSnapshot): boolean {
  if (!config) return false;
  return config.agentGroups.length === 0 || a.groups.some((g) => config.agentGroups.includes(g));
}

export class QueueFigures {
  private readonly events = new Map<string, QueueEvent[]>();

  record(queue: string, kind: QueueEvent['kind'], waitMs: number, now: number): void {
    const list = pruneEvents(this.events.get(queue) ?? [], now);
    list.push({ kind, at: now, waitMs: Math.max(0, waitMs) });
    this.events.set(queue, list);
  }

  figures(config: QueueConfig, waitingSince: readonly number[], agents: readonly AgentSnapshot[], now: number): QueueLive {
    const byState: Record<AgentStateName, number> = { offline: 0, available: 0, ringing: 0, 'on-call': 0, 'wrap-up': 0, break: 0 };
    for (const a of agents) if (servesQueue(config, a)) byState[a.state]++;
    const { m15, m60 } = queueStats(this.events.get(config.name) ?? [], now, { targetSeconds: config.serviceLevel.targetSeconds });
    return {
      queue: config.name,
      waiting: waitingSince.length,
      longestWaitMs: longestWaitingMs(waitingSince, now),
      agents: byState,
      serviceLevel: { last15m: m15.serviceLevel ?? null, last60m: m60.serviceLevel ?? null },
    };
  }
}
