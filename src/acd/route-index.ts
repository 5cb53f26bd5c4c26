/**
 * The incremental router: route()'s decisions (router.ts), one event at a time, for the surge
 * simulator and very large queues (issue 4: p99 < 1 ms per decision with 10,000 agents and
 * 100,000 waiting; a whole route() batch costs ~10 ms at 10,000 waiting).
 *
 * Why the answers are equal: route() leaves a settled state, where no waiting call has a free
 * agent that may take it (its first pass offers every such pair). From a settled state one event
 * changes route()'s answer only locally:
 *  - an agent becomes available: the only possible offer is that agent to the first call in
 *    service order that it may take (every call before it could take nobody, and still cannot);
 *  - a call arrives: it gets the agent its queue's strategy picks among the free ones, or it waits;
 *    if its queue is then beyond maxSize, the most junior call there gets the full target;
 *  - time reaches one of a call's instants (a relax or overflow step, max wait, the same-agent
 *    window): the calls due are tried again in service order, then max wait and overflow apply;
 *  - a call leaves or an agent stops being available: nothing to decide.
 * A change of the groups a staffing tier adds is rare and re-runs route() over the whole state.
 * test/acd/route-index.test.ts checks the equality with fast-check over random event sequences.
 *
 * Decisions are applied here as they are returned: an offered call and its agent leave the index;
 * a call given a target or an overflow leaves it (the runtime re-adds an overflowed call to the
 * new queue with `addCall`). Call `advance(now)` at each instant `nextCheckAt()` names, before any
 * other event at that instant, as the live engine does with route()'s nextCheckAt.
 */
import type { QueueConfig } from './queue-config.ts';
import type { AgentSnapshot, RoutingDecision, WaitingCall } from './types.ts';
import { effectiveRequirements, inGroups, meetsSkills, servingGroups, skillScore } from './eligibility.ts';
import type { SkillRequirement } from './eligibility.ts';
import { byLeastOccupied, byLongestIdle, cmpStr, effectivePriority, route, serviceOrder } from './router.ts';
import type { Ranked, RoundRobinState, RouteInput } from './router.ts';
import { SortedList } from './sorted-list.ts';
import { TimerHeap } from './timer-heap.ts';
import { SkillLevels } from './skill-levels.ts';

interface Entry extends Ranked {
  cls: CallClass;
}

/** The calls of one queue that ask for the same extra skills: their requirements differ only by relax steps. */
interface CallClass {
  queue: QueueState;
  skills: readonly string[];
  list: SortedList<Entry>;
  /** Relax steps elapsed → requirements. Elapsed steps only grow with the wait, so the count names the set. */
  reqs: Map<number, SkillRequirement[]>;
  /** The requirements once every relax step has elapsed: an agent short of these takes no call here. */
  widest: SkillRequirement[];
}

interface QueueState {
  cfg: QueueConfig;
  groups: string[];
  classes: Map<string, CallClass>;
  /** Waiting entries of kind 'call' (a keep-place callback takes no room). */
  staying: number;
  /** Overflow steps to another known queue (route() skips the others). */
  overflow: QueueConfig['overflow'];
}

export interface RouteIndexInput {
  queues: readonly QueueConfig[];
  extraGroups?: Readonly<Record<string, readonly string[]>>;
  rr?: RoundRobinState;
}

export class RouteIndex {
  private readonly queues = new Map<string, QueueState>();
  private readonly calls = new Map<string, Entry>();
  private readonly agents = new Map<string, AgentSnapshot>();
  private readonly byIdle = new SortedList<AgentSnapshot>(byLongestIdle);
  private readonly byOccupancy = new SortedList<AgentSnapshot>(byLeastOccupied);
  private readonly byId = new SortedList<AgentSnapshot>((a, b) => cmpStr(a.id, b.id));
  /** Kept only when a queue's strategy reads them (least-occupied, round-robin): each costs a sorted insert per free agent. */
  private readonly keepOccupancy: boolean;
  private readonly keepIds: boolean;
  /** The same free agents by skill and level: walks that skip those who lack a required skill. */
  private readonly levels = new SkillLevels();
  /** Timers name their entry; an entry no longer in `calls` is stale and skipped. */
  private readonly timers = new TimerHeap<Entry>();
  private rrState: Record<string, string>;
  private extra: Record<string, readonly string[]>;

  constructor(input: RouteIndexInput) {
    this.extra = { ...input.extraGroups };
    this.rrState = { ...input.rr };
    for (const cfg of input.queues) {
      this.queues.set(cfg.name, { cfg, groups: servingGroups(cfg, this.extra[cfg.name]), classes: new Map(), staying: 0, overflow: [] });
    }
    for (const q of this.queues.values()) q.overflow = q.cfg.overflow.filter((s) => s.queue !== q.cfg.name && this.queues.has(s.queue));
    this.keepOccupancy = input.queues.some((q) => q.strategy === 'least-occupied');
    this.keepIds = input.queues.some((q) => q.strategy === 'round-robin');
  }

  get rr(): RoundRobinState {
    return { ...this.rrState };
  }

  get waitingCount(): number {
    return this.calls.size;
  }

  get availableCount(): number {
    return this.agents.size;
  }

  /** The state as route() reads it. */
  snapshot(now: number): RouteInput {
    return {
      queues: [...this.queues.values()].map((q) => q.cfg),
      waiting: [...this.calls.values()].map((e) => e.call),
      agents: [...this.agents.values()],
      now,
      rr: this.rr,
      extraGroups: { ...this.extra },
    };
  }

  /** A call enters a queue (new, re-queued at the front, or overflowed here). */
  addCall(call: WaitingCall, now: number): RoutingDecision[] {
    const q = this.queues.get(call.queue);
    if (!q) throw new Error(`route index: call ${call.id} names unknown queue ${JSON.stringify(call.queue)}`);
    if (this.calls.has(call.id)) throw new Error(`route index: call ${call.id} is already waiting`);
    const key = [...call.skills].sort().join(',');
    let cls = q.classes.get(key);
    if (!cls) {
      cls = { queue: q, skills: call.skills, list: new SortedList<Entry>(serviceOrder), reqs: new Map(), widest: effectiveRequirements(q.cfg, call.skills, Infinity) };
      q.classes.set(key, cls);
    }
    const entry: Entry = { call, prio: effectivePriority(q.cfg, call), cls };
    cls.list.insert(entry);
    this.calls.set(call.id, entry);
    if (call.kind === 'call') q.staying++;
    const out: RoutingDecision[] = [];
    this.settle(entry, now, out);
    if (this.calls.get(call.id) === entry) {
      this.schedule(entry, now);
      this.checkFull(q, out);
    }
    return out;
  }

  /** The caller hung up, or the runtime took the call out: no decision follows. */
  removeCall(id: string): boolean {
    const e = this.calls.get(id);
    if (!e) return false;
    this.drop(e);
    return true;
  }

  /** An agent became available (logged in, back from break or wrap-up): it may take one call. */
  agentAvailable(agent: AgentSnapshot, now: number): RoutingDecision[] {
    if (agent.state !== 'available') throw new Error(`route index: agent ${agent.id} is ${agent.state}, not available`);
    this.agentGone(agent.id);
    this.agents.set(agent.id, agent);
    this.levels.add(agent);
    this.byIdle.insert(agent);
    if (this.keepOccupancy) this.byOccupancy.insert(agent);
    if (this.keepIds) this.byId.insert(agent);
    let best: Entry | undefined;
    for (const q of this.queues.values()) {
      if (!inGroups(agent, q.groups)) continue;
      for (const cls of q.classes.values()) {
        const e = this.firstFor(cls, agent, now, best);
        if (e) best = e;
      }
    }
    const out: RoutingDecision[] = [];
    if (best) this.offer(best, agent, out);
    return out;
  }

  /** The agent is no longer free (ringing elsewhere, break, logged out). */
  agentGone(id: string): boolean {
    const a = this.agents.get(id);
    if (!a) return false;
    this.byIdle.remove(a);
    if (this.keepOccupancy) this.byOccupancy.remove(a);
    if (this.keepIds) this.byId.remove(a);
    this.agents.delete(id);
    this.levels.remove(a);
    return true;
  }

  /** Work the timers due at `now`: offers the wait made possible, then max wait and overflow. */
  advance(now: number): RoutingDecision[] {
    const due = new Set<Entry>();
    for (let t = this.timers.peek(); t !== undefined && t.at <= now; t = this.timers.peek()) {
      this.timers.pop();
      if (this.calls.get(t.key.call.id) === t.key) due.add(t.key);
    }
    const out: RoutingDecision[] = [];
    for (const e of [...due].sort(serviceOrder)) if (this.calls.get(e.call.id) === e) this.settle(e, now, out);
    return out;
  }

  /** The earliest future instant at which time alone may change a decision (route()'s nextCheckAt). */
  nextCheckAt(): number | undefined {
    for (let t = this.timers.peek(); t !== undefined; t = this.timers.peek()) {
      if (this.calls.get(t.key.call.id) === t.key) return t.at;
      this.timers.pop();
    }
    return undefined;
  }

  /** A staffing tier changed the groups serving queues: rare, so route() decides over the whole state. */
  setExtraGroups(extra: Readonly<Record<string, readonly string[]>>, now: number): RoutingDecision[] {
    this.extra = { ...extra };
    for (const q of this.queues.values()) q.groups = servingGroups(q.cfg, this.extra[q.cfg.name]);
    const r = route(this.snapshot(now));
    for (const d of r.decisions) {
      const e = this.calls.get(d.callId)!;
      if (d.kind === 'offer') {
        this.drop(e);
        this.agentGone(d.agentId);
      } else this.drop(e);
    }
    this.rrState = { ...r.rr };
    return r.decisions;
  }

  /** Offer, else max wait, else overflow: route()'s two passes for one call. */
  private settle(entry: Entry, now: number, out: RoutingDecision[]): void {
    if (this.tryOffer(entry, now, out)) return;
    const { call } = entry;
    const q = entry.cls.queue;
    const waitMs = now - call.enteredAt;
    if (call.kind === 'call' && q.cfg.maxWaitSeconds !== undefined && waitMs >= q.cfg.maxWaitSeconds * 1000) {
      this.drop(entry);
      out.push({ kind: 'target', callId: call.id, queue: q.cfg.name, reason: 'max-wait', target: q.cfg.onMaxWait });
      return;
    }
    let to: string | undefined;
    let after = -1;
    for (const step of q.overflow) {
      if (step.afterSeconds * 1000 <= waitMs && step.afterSeconds > after) {
        to = step.queue;
        after = step.afterSeconds;
      }
    }
    if (to === undefined) return;
    this.drop(entry);
    out.push({ kind: 'overflow', callId: call.id, from: q.cfg.name, to });
  }

  private tryOffer(entry: Entry, now: number, out: RoutingDecision[]): boolean {
    if (this.agents.size === 0) return false;
    const { call } = entry;
    const q = entry.cls.queue;
    const reqs = this.reqsOf(entry.cls, now - call.enteredAt);
    const usable = (a: AgentSnapshot): boolean => inGroups(a, q.groups) && meetsSkills(a, reqs) && !call.refusedBy.includes(a.id);
    let pick: AgentSnapshot | undefined;
    const within = q.cfg.customerTypes.sameAgentWithinSeconds * 1000;
    if (within > 0 && call.lastAgentId !== null && call.lastAgentAt !== null && now - call.lastAgentAt <= within) {
      const last = this.agents.get(call.lastAgentId);
      if (last && usable(last)) pick = last;
    }
    pick ??= this.choose(q, usable, reqs);
    if (!pick) return false;
    this.offer(entry, pick, out);
    return true;
  }

  /** The queue's strategy among the free agents, in the same order route() walks them. */
  private choose(q: QueueState, usable: (a: AgentSnapshot) => boolean, reqs: readonly SkillRequirement[]): AgentSnapshot | undefined {
    switch (q.cfg.strategy) {
      case 'best-skill': {
        // Highest score; among equals the earliest in longest-idle order (route() sorts stably).
        // Walking in that order, the first usable agent at the best score any free agent can
        // reach is the answer: the rest of the walk could only tie, and ties go to the earlier.
        if (this.levels.exact && reqs.length === 1) return this.levels.best(reqs[0]!, usable);
        const bound = this.levels.exact ? this.levels.bound(reqs) : Infinity;
        let best: AgentSnapshot | undefined;
        let score = -Infinity;
        for (let i = 0, n = this.byIdle.size; i < n; i++) {
          const a = this.byIdle.at(i)!;
          if (!usable(a)) continue;
          const s = skillScore(a, reqs);
          if (s > score) {
            best = a;
            score = s;
            if (s >= bound) break;
          }
        }
        return best;
      }
      case 'round-robin': {
        const last = this.rrState[q.cfg.name];
        const n = this.byId.size;
        const start = last === undefined ? 0 : this.byId.search((a) => cmpStr(a.id, last) > 0);
        for (let i = 0; i < n; i++) {
          const a = this.byId.at((start + i) % n)!;
          if (usable(a)) return a;
        }
        return undefined;
      }
      case 'least-occupied':
        for (let i = 0, n = this.byOccupancy.size; i < n; i++) if (usable(this.byOccupancy.at(i)!)) return this.byOccupancy.at(i);
        return undefined;
      default: {
        // Walk only the free agents who meet the requirement fewest of them meet.
        if (this.levels.exact && reqs.length > 0) {
          let narrow = reqs[0]!;
          for (const r of reqs) if (this.levels.count(r) < this.levels.count(narrow)) narrow = r;
          return this.levels.firstIdle(narrow, usable);
        }
        for (let i = 0, n = this.byIdle.size; i < n; i++) if (usable(this.byIdle.at(i)!)) return this.byIdle.at(i);
        return undefined;
      }
    }
  }

  /** The first call of `cls` in service order that `agent` may take, if it comes before `bound`. */
  private firstFor(cls: CallClass, agent: AgentSnapshot, now: number, bound: Entry | undefined): Entry | undefined {
    if (!meetsSkills(agent, cls.widest)) return undefined;
    const fits = new Map<number, boolean>();
    const relax = cls.queue.cfg.relax;
    for (let i = 0, n = cls.list.size; i < n; i++) {
      const e = cls.list.at(i)!;
      if (bound && serviceOrder(e, bound) > 0) return undefined;
      if (e.call.refusedBy.includes(agent.id)) continue;
      const waitMs = now - e.call.enteredAt;
      let steps = 0;
      for (const st of relax) if (st.afterSeconds * 1000 <= waitMs) steps++;
      let ok = fits.get(steps);
      if (ok === undefined) {
        ok = meetsSkills(agent, this.reqsOf(cls, waitMs));
        fits.set(steps, ok);
      }
      if (ok) return e;
    }
    return undefined;
  }

  private reqsOf(cls: CallClass, waitMs: number): SkillRequirement[] {
    let steps = 0;
    for (const st of cls.queue.cfg.relax) if (st.afterSeconds * 1000 <= waitMs) steps++;
    let r = cls.reqs.get(steps);
    if (!r) {
      r = effectiveRequirements(cls.queue.cfg, cls.skills, waitMs);
      cls.reqs.set(steps, r);
    }
    return r;
  }

  private offer(entry: Entry, agent: AgentSnapshot, out: RoutingDecision[]): void {
    const q = entry.cls.queue;
    this.drop(entry);
    this.agentGone(agent.id);
    if (q.cfg.strategy === 'round-robin') this.rrState[q.cfg.name] = agent.id;
    out.push({ kind: 'offer', callId: entry.call.id, agentId: agent.id, queue: q.cfg.name });
  }

  private drop(entry: Entry): void {
    this.calls.delete(entry.call.id);
    entry.cls.list.remove(entry);
    if (entry.call.kind === 'call') entry.cls.queue.staying--;
  }

  /** Every future instant at which time alone may change this call's decision (route()'s `later`). */
  private schedule(entry: Entry, now: number): void {
    const { call } = entry;
    const q = entry.cls.queue;
    const at = (t: number): void => {
      if (t > now) this.timers.push(t, entry);
    };
    for (const st of q.cfg.relax) at(call.enteredAt + st.afterSeconds * 1000);
    const within = q.cfg.customerTypes.sameAgentWithinSeconds * 1000;
    if (within > 0 && call.lastAgentAt !== null) at(call.lastAgentAt + within + 1);
    if (call.kind === 'call' && q.cfg.maxWaitSeconds !== undefined) at(call.enteredAt + q.cfg.maxWaitSeconds * 1000);
    for (const st of q.overflow) at(call.enteredAt + st.afterSeconds * 1000);
  }

  /** Beyond maxSize the most junior call (not a keep-place callback) gets the queue's full target. */
  private checkFull(q: QueueState, out: RoutingDecision[]): void {
    if (q.cfg.maxSize === undefined || q.staying <= q.cfg.maxSize) return;
    let victim: Entry | undefined;
    for (const cls of q.classes.values()) {
      for (let i = cls.list.size - 1; i >= 0; i--) {
        const e = cls.list.at(i)!;
        if (e.call.kind !== 'call') continue;
        if (!victim || serviceOrder(e, victim) > 0) victim = e;
        break;
      }
    }
    if (!victim) return;
    this.drop(victim);
    out.push({ kind: 'target', callId: victim.call.id, queue: q.cfg.name, reason: 'full', target: q.cfg.onFull });
  }
}
