/**
 * The live agents of one tenant: an AgentSnapshot per agent (loaded from the agents
 * repository), changed only through the pure reducer agentTransition (src/acd/agent-state.ts)
 * so a race (DND while ringing, a double hang-up) is refused instead of leaving an agent stuck.
 * Phone events drive login: a phone that registers logs its agent in (available, or back on
 * the break it was on), the last binding going logs it out. After a call the agent is in
 * wrap-up for the queue's (or its own) wrapUpSeconds, then available again. Every state change
 * is appended to agent_events (statistics) and reported to `onChange` (the queue engine routes
 * again when an agent becomes available).
 */
import type { Clock, TimerHandle } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { agentTransition, AgentStateError, type AgentEvent } from '../agent-state.ts';
import type { AgentSnapshot } from '../types.ts';
import type { AgentsRepository, AgentView } from '../../store/repositories/agents.ts';
import type { AgentEventsRepository } from '../../store/repositories/agent-events.ts';

export interface AgentRegistryOptions {
  readonly tenantId: string;
  readonly agents: Pick<AgentsRepository, 'list' | 'getByExtension'>;
  readonly events: Pick<AgentEventsRepository, 'append'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onChange?: (agent: AgentSnapshot) => void;
}

export interface LiveAgent {
  snapshot: AgentSnapshot;
  /** The agent's own wrap-up seconds (null: the queue's). */
  wrapUpSeconds: number | null;
  wrapTimer?: TimerHandle;
}

export class AgentRegistry {
  private readonly byId = new Map<string, LiveAgent>();
  private readonly byExtension = new Map<string, string>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly opts: AgentRegistryOptions) {}

  /** Loads the tenant's agents (offline until their phones register). */
  async load(): Promise<void> {
    for (const a of await this.opts.agents.list(this.opts.tenantId)) this.add(a);
  }

  private add(a: AgentView): LiveAgent {
    const now = this.opts.clock.wallNow();
    const live: LiveAgent = {
      snapshot: {
        id: a.id,
        extension: a.extension,
        skills: { ...a.skills },
        groups: [...a.groups],
        state: 'offline',
        stateSince: now,
        lastCallEndedAt: null,
        answeredToday: 0,
        talkMsToday: 0,
        loggedInMsToday: 0,
      },
      wrapUpSeconds: a.wrapUpSeconds,
    };
    this.byId.set(a.id, live);
    this.byExtension.set(a.extension, a.id);
    return live;
  }

  /**
   * Applies what admins changed in the store — skills, groups, wrap-up, extension, agents
   * added or removed — to the live agents without touching their state; returns the agents
   * whose routing attributes changed (the engine routes again for them). A removed agent
   * leaves routing at once unless a call is in progress with him; then at the next refresh.
   */
  async refresh(): Promise<AgentSnapshot[]> {
    const views = await this.opts.agents.list(this.opts.tenantId);
    const changed: AgentSnapshot[] = [];
    const seen = new Set<string>();
    for (const a of views) {
      seen.add(a.id);
      const live = this.byId.get(a.id);
      if (!live) {
        this.add(a);
        continue;
      }
      live.wrapUpSeconds = a.wrapUpSeconds;
      const s = live.snapshot;
      if (s.extension === a.extension && sameSkills(s.skills, a.skills) && sameList(s.groups, a.groups)) continue;
      if (s.extension !== a.extension) {
        if (this.byExtension.get(s.extension) === a.id) this.byExtension.delete(s.extension);
        this.byExtension.set(a.extension, a.id);
      }
      live.snapshot = { ...s, extension: a.extension, skills: { ...a.skills }, groups: [...a.groups] };
      changed.push(live.snapshot);
    }
    for (const [id, live] of this.byId) {
      if (seen.has(id)) continue;
      if (live.snapshot.state === 'ringing' || live.snapshot.state === 'on-call' || live.snapshot.state === 'wrap-up') continue;
      this.opts.clock.clearTimeout(live.wrapTimer);
      this.byId.delete(id);
      if (this.byExtension.get(live.snapshot.extension) === id) this.byExtension.delete(live.snapshot.extension);
    }
    return changed;
  }

  snapshots(): AgentSnapshot[] {
    return [...this.byId.values()].map((a) => a.snapshot);
  }

  get(id: string): AgentSnapshot | undefined {
    return this.byId.get(id)?.snapshot;
  }

  byExt(extension: string): AgentSnapshot | undefined {
    const id = this.byExtension.get(extension);
    return id === undefined ? undefined : this.byId.get(id)?.snapshot;
  }

  /** A phone registered: log the agent in (an agent created after start is loaded now). */
  async phoneOnline(extension: string): Promise<void> {
    let id = this.byExtension.get(extension);
    if (id === undefined) {
      const view = await this.opts.agents.getByExtension(this.opts.tenantId, extension).catch(() => undefined);
      if (!view) return;
      id = this.add(view).snapshot.id;
    }
    this.apply(id, { type: 'register' });
  }

  phoneOffline(extension: string): void {
    const id = this.byExtension.get(extension);
    if (id !== undefined) this.apply(id, { type: 'unregister' });
  }

  /**
   * Applies an event; false (logged) when the state machine refuses it. A call ending
   * (hangup from on-call) starts the wrap-up timer.
   */
  apply(id: string, event: AgentEvent, wrapUpSeconds?: number): boolean {
    const live = this.byId.get(id);
    if (!live) return false;
    const before = live.snapshot;
    let next: AgentSnapshot;
    try {
      next = agentTransition(before, event, this.opts.clock.wallNow());
    } catch (err) {
      if (err instanceof AgentStateError) {
        this.opts.log.warn({ agentId: id, extension: before.extension, from: err.from, event: err.event }, 'agent event refused by the state machine');
        return false;
      }
      throw err;
    }
    live.snapshot = next;
    if (next.state !== 'wrap-up') {
      this.opts.clock.clearTimeout(live.wrapTimer);
      live.wrapTimer = undefined;
    }
    if (next === before || (next.state === before.state && next.breakReason === before.breakReason)) return true;
    if (next.state === 'wrap-up') {
      const seconds = live.wrapUpSeconds ?? wrapUpSeconds ?? 10;
      live.wrapTimer = this.opts.clock.setTimeout(() => {
        live.wrapTimer = undefined;
        if (live.snapshot.state === 'wrap-up') this.apply(id, { type: 'wrap-up-done' });
      }, seconds * 1000);
    }
    this.opts.log.info({ agentId: id, extension: next.extension, state: next.state, reason: next.breakReason, event: event.type }, 'agent state');
    const at = new Date(next.stateSince);
    const reason = next.state === 'break' ? (next.breakReason ?? null) : null;
    this.writes = this.writes
      .then(() => this.opts.events.append(this.opts.tenantId, { agentId: id, at, state: next.state, reason }))
      .catch((err: unknown) => this.opts.log.warn({ agentId: id, err: String(err) }, 'agent event not stored'));
    this.opts.onChange?.(next);
    return true;
  }

  /** Waits for the agent_events writes queued so far. */
  flush(): Promise<void> {
    return this.writes;
  }

  close(): void {
    for (const a of this.byId.values()) this.opts.clock.clearTimeout(a.wrapTimer);
  }
}

function sameSkills(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
