/**
 * What the API needs from the live ACD (the queue runtime, src/acd/live/) and who an agent's
 * key speaks for. The runtime keeps agents' live states in memory (the state machine of
 * src/acd/agent-state.ts); the API reads and changes them only through AcdLive, so a node
 * without the runtime still serves everything else (states then come from the agent log,
 * and changing one is 503). `acdFromRegistries` adapts per-tenant registries that expose
 * get(id) and apply(id, event) — the shape of src/acd/live/agent-registry.ts — to AcdLive.
 */
import type { AgentStateName, AgentSnapshot } from '../acd/types.ts';
import type { RecordingPauseResult } from '../acd/live/conversations.ts';
import type { Supervision } from '../acd/live/supervision.ts';

/** What the API uses of src/acd/live/supervision.ts. */
export type SupervisionLike = Pick<Supervision, 'supervise' | 'stop' | 'get'>;
import { ConflictError, NotFoundError } from '../store/errors.ts';
import { isUuid } from '../store/ids.ts';
import type { AgentView } from '../store/repositories/agents.ts';
import type { Principal } from './auth.ts';
import { ApiError } from './errors.ts';
import type { Services } from './services.ts';

export type AgentStateChange = { state: 'available' } | { state: 'break'; reason: string };

/** Live figures of one queue (GET /queues/{queue}/live). */
export interface QueueLiveFigures {
  queue: string;
  waiting: number;
  longestWaitMs: number;
  agents: Record<AgentStateName, number>;
  serviceLevel: { last15m: number | null; last60m: number | null };
  [more: string]: unknown;
}

export interface AcdLive {
  /** The agent's live snapshot; undefined when the runtime does not hold it. */
  agentState(tenantId: string, agentId: string): AgentSnapshot | undefined;
  /** Through the agent state machine; ConflictError when it refuses (e.g. offline → break). */
  setAgentState(tenantId: string, agentId: string, change: AgentStateChange): Promise<AgentSnapshot>;
  /** The tenant's agents were created, edited or removed in the store: apply it to live routing now. */
  agentsChanged?(tenantId: string): Promise<void>;
  /** A call in conversation with an agent on this node (by our call id), or undefined. */
  conversation?(tenantId: string, callId: string): { agentId: string; queue: string } | undefined;
  /** Pause or resume that call's recording (src/acd/live/conversations.ts: NotFoundError, ConflictError). */
  pauseRecording?(tenantId: string, callId: string, paused: boolean, actor: string): Promise<RecordingPauseResult>;
  /** The tenant's supervisor listen/whisper/barge on this node; undefined when it runs no queue runtime for it. */
  supervision?(tenantId: string): SupervisionLike | undefined;
  /** Live figures of a queue of the tenant; undefined when this node does not run it. */
  queueLive?(tenantId: string, queue: string): QueueLiveFigures | undefined | Promise<QueueLiveFigures | undefined>;
}

/** The part of a tenant's live agent registry the adapter uses. */
export interface AgentRegistryLike {
  get(id: string): AgentSnapshot | undefined;
  apply(id: string, event: { type: 'set-available' } | { type: 'set-break'; reason: string }): boolean;
}

export function acdFromRegistries(registry: (tenantId: string) => AgentRegistryLike | undefined): AcdLive {
  return {
    agentState: (tenantId, agentId) => registry(tenantId)?.get(agentId),
    async setAgentState(tenantId, agentId, change) {
      const reg = registry(tenantId);
      if (!reg) throw new ApiError('unavailable', "this node runs no queue runtime for the tenant: agent states cannot be changed here");
      const before = reg.get(agentId);
      // The registry loads an agent when its phone first registers: one it does not hold is offline.
      if (!before) throw new ConflictError(`agent ${agentId} is offline (no phone registered): it cannot go on break or available`, undefined);
      const ok = reg.apply(agentId, change.state === 'break' ? { type: 'set-break', reason: change.reason } : { type: 'set-available' });
      if (!ok) throw new ConflictError(`agent ${before.extension} is ${before.state}: cannot go ${change.state}`, undefined);
      return reg.get(agentId) ?? before;
    },
  };
}

/** An agent named in a path by its id or its extension. NotFoundError. */
export async function resolveAgent(s: Services, tenantId: string, ref: string): Promise<AgentView> {
  if (isUuid(ref)) return s.agents.get(tenantId, ref);
  const a = await s.agents.getByExtension(tenantId, ref);
  if (!a) throw new NotFoundError('agent', ref);
  return a;
}

/**
 * The agent an agent-role key speaks for: the agent of the key's user (POST /keys with
 * userId); for a key made without a user, the agent whose extension or user name is the
 * key's name (how agents' keys were told apart before keys carried users).
 * undefined for other roles or a key that names no agent.
 */
export async function agentOfKey(s: Services, p: Principal): Promise<AgentView | undefined> {
  if (p.role !== 'agent') return undefined;
  if (p.userId !== null) return (await s.agents.list(p.tenantId)).find((a) => a.userId === p.userId);
  const byExt = await s.agents.getByExtension(p.tenantId, p.name);
  if (byExt) return byExt;
  return (await s.agents.list(p.tenantId)).find((a) => a.username === p.name);
}

/** The agent behind an agent key, or 403: an agent key that names no agent may see nothing of its own. */
export async function requireOwnAgent(s: Services, p: Principal): Promise<AgentView> {
  const a = await agentOfKey(s, p);
  if (!a) throw new ApiError('forbidden', `the agent key "${p.name}" names no agent (name agents' keys by extension or user name)`);
  return a;
}
