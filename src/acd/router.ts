/**
 * The ACD routing decision: a pure function of queue configs, waiting calls, agent snapshots and
 * `now`, shared by the live queue runtime and the surge simulator (issue 5: 1,000,000 calls,
 * 2,000 agents in < 10 s), so it must stay cheap per batch.
 *
 * Order of service: effective priority (queue priority + customer-type boost + call priority),
 * then calls re-queued at the front (an agent did not answer), then longest waiting
 * (firstEnteredAt, so an overflowed call keeps its seniority), then id for determinism.
 *
 * Cost: calls are sorted once (O(w log w)); each queue gets its available, group-eligible agents
 * pre-sorted in its strategy's order once; a call scans that list until the first eligible
 * unused agent (best-skill scans it all). A skill requirement that found no agent is
 * remembered per queue, so a long backlog behind busy agents costs O(1) per call, not O(agents).
 *
 * Callers that keep `waiting` in service order (the simulator) make the sort linear (TimSort on
 * sorted input). The remaining cost is O(waiting) per batch; routing one freed agent or one new
 * call against a 10,000-deep backlog should pass a smaller batch (see bench/acd-router.ts).
 *
 * Calls not offered may then overflow (the latest elapsed overflow step) or get a target
 * (max wait elapsed; or beyond maxSize in service order). Inputs are never mutated.
 */
import type { QueueConfig } from './queue-config.ts';
import type { AgentSnapshot, RoutingDecision, WaitingCall } from './types.ts';
import { effectiveRequirements, inGroups, meetsSkills, servingGroups, skillScore } from './eligibility.ts';
import type { SkillRequirement } from './eligibility.ts';

/** queue name → id of the agent last offered a call by round robin. */
export type RoundRobinState = Readonly<Record<string, string>>;

export interface RouteInput {
  queues: readonly QueueConfig[];
  waiting: readonly WaitingCall[];
  agents: readonly AgentSnapshot[];
  now: number;
  rr: RoundRobinState;
  /** Agent groups an active staffing tier adds to a queue (tiers.ts). */
  extraGroups?: Readonly<Record<string, readonly string[]>>;
}

export interface RouteResult {
  decisions: RoutingDecision[];
  rr: RoundRobinState;
  /**
   * The earliest future instant at which time alone changes a decision for a call still waiting
   * (a relax or overflow step, max wait, the same-agent window closing): route again then,
   * without polling. Undefined when nothing is timed.
   */
  nextCheckAt: number | undefined;
}

/** Queue priority + customer-type boost + the flow's call priority. */
export function effectivePriority(queue: QueueConfig, call: WaitingCall): number {
  const boost =
    call.customerType === 'vip'
      ? queue.customerTypes.vipPriorityBoost
      : call.customerType === 'returning'
        ? queue.customerTypes.returningPriorityBoost
        : 0;
  return queue.priority + boost + call.priority;
}

/** When the agent became idle: the end of the last call, else when it entered its state. */
export function idleSince(a: AgentSnapshot): number {
  return a.lastCallEndedAt ?? a.stateSince;
}

export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byLongestIdle(a: AgentSnapshot, b: AgentSnapshot): number {
  return idleSince(a) - idleSince(b) || cmpStr(a.id, b.id);
}

function occupancy(a: AgentSnapshot): number {
  return a.talkMsToday / Math.max(a.loggedInMsToday, 1);
}

export function byLeastOccupied(a: AgentSnapshot, b: AgentSnapshot): number {
  return occupancy(a) - occupancy(b) || a.answeredToday - b.answeredToday || byLongestIdle(a, b);
}

interface QueueIndex {
  queue: QueueConfig;
  /** Available agents serving this queue, in the strategy's order. */
  candidates: AgentSnapshot[];
  /** Round robin: index of the first candidate after the last one offered. */
  rrStart: number;
  /** Requirement keys (without refusals) that found no agent; agents only get used in a batch, so it stays so. */
  hopeless: Set<string>;
  size: number;
  groups: string[];
  /** Memoised requirements per (relax steps elapsed, call skills). */
  reqs: Map<string, { reqs: SkillRequirement[]; key: string }>;
  /** best-skill: skilled candidates by score per requirement key. */
  bySkill: Map<string, AgentSnapshot[]>;
  /** Per requirement key: candidates before this index are taken or lack the skills. */
  cursor: Map<string, number>;
  used: (a: AgentSnapshot) => boolean;
}

/** A waiting call with its effective priority. */
export interface Ranked {
  call: WaitingCall;
  prio: number;
}

/** The order of service (see the header): negative when `a` is served before `b`. */
export function serviceOrder(a: Ranked, b: Ranked): number {
  return (
    b.prio - a.prio ||
    Number(b.call.requeuedAtFront) - Number(a.call.requeuedAtFront) ||
    a.call.firstEnteredAt - b.call.firstEnteredAt ||
    a.call.enteredAt - b.call.enteredAt ||
    cmpStr(a.call.id, b.call.id)
  );
}

export function route(input: RouteInput): RouteResult {
  const { now } = input;
  const queues = new Map<string, QueueConfig>();
  for (const q of input.queues) queues.set(q.name, q);
  const available = input.agents.filter((a) => a.state === 'available');
  // Each strategy's order is sorted once per batch, and only if a queue with waiting calls uses it.
  const orders = new Map<QueueConfig['strategy'], AgentSnapshot[]>();
  const ordered = (strategy: QueueConfig['strategy']): AgentSnapshot[] => {
    const kind = strategy === 'best-skill' ? 'longest-idle' : strategy;
    let list = orders.get(kind);
    if (!list) {
      const cmp = kind === 'least-occupied' ? byLeastOccupied : kind === 'round-robin' ? (a: AgentSnapshot, b: AgentSnapshot) => cmpStr(a.id, b.id) : byLongestIdle;
      list = [...available].sort(cmp);
      orders.set(kind, list);
    }
    return list;
  };
  const agentById = new Map<string, AgentSnapshot>();
  for (const a of available) agentById.set(a.id, a);

  const rr: Record<string, string> = { ...input.rr };
  const usedAgents = new Set<string>();
  const index = new Map<string, QueueIndex>();
  const indexOf = (q: QueueConfig): QueueIndex => {
    let ix = index.get(q.name);
    if (ix) return ix;
    const groups = servingGroups(q, input.extraGroups?.[q.name]);
    const base = ordered(q.strategy);
    const candidates = groups.length === 0 ? base : base.filter((a) => inGroups(a, groups));
    let rrStart = 0;
    const last = rr[q.name];
    if (q.strategy === 'round-robin' && last !== undefined) {
      while (rrStart < candidates.length && cmpStr(candidates[rrStart]!.id, last) <= 0) rrStart++;
    }
    ix = { queue: q, groups, candidates, rrStart, hopeless: new Set(), size: 0, cursor: new Map(), reqs: new Map(), bySkill: new Map(), used: (a) => usedAgents.has(a.id) };
    index.set(q.name, ix);
    return ix;
  };

  const ranked: Ranked[] = [];
  for (const call of input.waiting) {
    const q = queues.get(call.queue);
    if (!q) continue; // unknown queue: the runtime decides; the router makes no decision
    indexOf(q).size++;
    ranked.push({ call, prio: effectivePriority(q, call) });
  }
  ranked.sort(serviceOrder);

  const decisions: RoutingDecision[] = [];
  const decided = new Set<string>();
  let free = available.length;

  const usable = (a: AgentSnapshot, call: WaitingCall, reqs: readonly SkillRequirement[]): boolean =>
    !usedAgents.has(a.id) && meetsSkills(a, reqs) && !call.refusedBy.includes(a.id);

  for (const { call } of ranked) {
    if (free === 0) break;
    if (decided.has(call.id)) continue; // duplicate ids in the input: one decision each
    const ix = index.get(call.queue)!;
    const q = ix.queue;
    // Requirements depend only on (queue, the call's skills, how many relax steps elapsed): memoised.
    if (ix.candidates.length === 0) continue; // nobody free serves this queue
    const waitMs = now - call.enteredAt;
    let steps = 0;
    for (const st of q.relax) if (st.afterSeconds * 1000 <= waitMs) steps++;
    // The common case (no relaxation elapsed, no extra skills) builds no string.
    const memoKey = steps === 0 && call.skills.length === 0 ? '' : `${steps}|${call.skills.join(',')}`;
    let memo = ix.reqs.get(memoKey);
    if (!memo) {
      const r = effectiveRequirements(q, call.skills, waitMs);
      memo = { reqs: r, key: r.map((x) => `${x.skill}:${x.minProficiency}`).join(',') };
      ix.reqs.set(memoKey, memo);
    }
    const { reqs, key } = memo;
    if (ix.hopeless.has(key)) continue;
    let pick: AgentSnapshot | undefined;

    const within = q.customerTypes.sameAgentWithinSeconds * 1000;
    if (within > 0 && call.lastAgentId !== null && call.lastAgentAt !== null && now - call.lastAgentAt <= within) {
      const last = agentById.get(call.lastAgentId);
      if (last && inGroups(last, ix.groups) && usable(last, call, reqs)) pick = last;
    }
    if (!pick) pick = choose(ix, call, reqs, key, usable);
    if (!pick) {
      if (call.refusedBy.length === 0) ix.hopeless.add(key);
      continue;
    }
    usedAgents.add(pick.id);
    decided.add(call.id);
    free--;
    if (q.strategy === 'round-robin') rr[q.name] = pick.id;
    decisions.push({ kind: 'offer', callId: call.id, agentId: pick.id, queue: q.name });
  }

  // Calls not offered: max wait, overflow, max size. A keep-place callback (the caller is not on
  // the line and already chose to be called back) gets no max-wait/full target and takes no room.
  const staying = new Map<string, number>();
  let nextCheckAt = Infinity;
  const later = (t: number): void => {
    if (t > now && t < nextCheckAt) nextCheckAt = t;
  };
  for (const { call } of ranked) {
    // Relaxation widens who qualifies and the same-agent window closing changes who is tried
    // first: either can change the pick of a call offered now too, not only of one left waiting.
    const q = queues.get(call.queue)!;
    for (const step of q.relax) later(call.enteredAt + step.afterSeconds * 1000);
    const within = q.customerTypes.sameAgentWithinSeconds * 1000;
    if (within > 0 && call.lastAgentAt !== null) later(call.lastAgentAt + within + 1);
    if (decided.has(call.id)) continue;
    const waitMs = now - call.enteredAt;
    const isCall = call.kind === 'call';
    if (isCall && q.maxWaitSeconds !== undefined) {
      if (waitMs >= q.maxWaitSeconds * 1000) {
        decided.add(call.id);
        decisions.push({ kind: 'target', callId: call.id, queue: q.name, reason: 'max-wait', target: q.onMaxWait });
        continue;
      }
      later(call.enteredAt + q.maxWaitSeconds * 1000);
    }
    let to: string | undefined;
    let after = -1;
    for (const step of q.overflow) {
      // A step naming an unknown queue would park the call where route() never looks: skip it.
      if (step.queue === q.name || !queues.has(step.queue)) continue;
      if (step.afterSeconds * 1000 <= waitMs) {
        if (step.afterSeconds > after) {
          to = step.queue;
          after = step.afterSeconds;
        }
      } else later(call.enteredAt + step.afterSeconds * 1000);
    }
    if (to !== undefined) {
      decided.add(call.id);
      decisions.push({ kind: 'overflow', callId: call.id, from: q.name, to });
      continue;
    }
    if (!isCall) continue;
    const pos = (staying.get(q.name) ?? 0) + 1;
    if (q.maxSize !== undefined && pos > q.maxSize) {
      decided.add(call.id);
      decisions.push({ kind: 'target', callId: call.id, queue: q.name, reason: 'full', target: q.onFull });
      continue;
    }
    staying.set(q.name, pos);
  }
  return { decisions, rr, nextCheckAt: nextCheckAt === Infinity ? undefined : nextCheckAt };
}

function choose(
  ix: QueueIndex,
  call: WaitingCall,
  reqs: readonly SkillRequirement[],
  key: string,
  usable: (a: AgentSnapshot, call: WaitingCall, reqs: readonly SkillRequirement[]) => boolean,
): AgentSnapshot | undefined {
  const c = ix.candidates;
  switch (ix.queue.strategy) {
    case 'best-skill': {
      // Skilled candidates by score, best first; the sort is stable so ties keep longest-idle
      // order. Built once per requirement key, then walked with a cursor like the default.
      let list = ix.bySkill.get(key);
      if (!list) {
        list = c.filter((a) => meetsSkills(a, reqs)).map((a) => ({ a, s: skillScore(a, reqs) })).sort((x, y) => y.s - x.s).map((x) => x.a);
        ix.bySkill.set(key, list);
      }
      let i = ix.cursor.get(key) ?? 0;
      while (i < list.length && ix.used(list[i]!)) i++;
      ix.cursor.set(key, i);
      for (; i < list.length; i++) if (usable(list[i]!, call, reqs)) return list[i];
      return undefined;
    }
    case 'round-robin': {
      for (let i = 0; i < c.length; i++) {
        const a = c[(ix.rrStart + i) % c.length]!;
        if (usable(a, call, reqs)) {
          ix.rrStart = (ix.rrStart + i + 1) % c.length;
          return a;
        }
      }
      return undefined;
    }
    default: {
      // The first agent in strategy order that is free and skilled for `key` only moves forward
      // during a batch (agents get taken, never freed), so each requirement keeps a cursor:
      // a batch costs O(agents) per distinct requirement, not O(agents) per call.
      let i = ix.cursor.get(key) ?? 0;
      while (i < c.length && (ix.used(c[i]!) || !meetsSkills(c[i]!, reqs))) i++;
      ix.cursor.set(key, i);
      for (; i < c.length; i++) if (usable(c[i]!, call, reqs)) return c[i]; // only refusals are skipped here
      return undefined;
    }
  }
}
