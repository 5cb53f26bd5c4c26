/**
 * Who may take a call: the effective skill requirements of a waiting call (the queue's required
 * skills plus the skills the flow asked for, after the queue's relaxation steps whose wait has
 * elapsed) and the agent predicate the router uses. Pure; `now` is a parameter.
 *
 * Relaxation steps are cumulative: every step whose afterSeconds has passed applies, the lowest
 * minProficiency among them caps every requirement and their dropSkills are all dropped. So a
 * longer wait can only widen the set of eligible agents, never narrow it.
 */
import type { QueueConfig } from './queue-config.ts';
import type { AgentSnapshot, WaitingCall } from './types.ts';

export interface SkillRequirement {
  skill: string;
  minProficiency: number;
}

/** Relaxation steps of `queue` elapsed after waiting `waitMs` in it (in the order of afterSeconds). */
export function elapsedRelaxSteps(queue: QueueConfig, waitMs: number): QueueConfig['relax'] {
  return queue.relax.filter((s) => s.afterSeconds * 1000 <= waitMs);
}

/**
 * The skills a call needs, sorted by skill name. The flow's skills need proficiency 1 unless the
 * queue asks for more of the same skill.
 */
export function effectiveRequirements(queue: QueueConfig, callSkills: readonly string[], waitMs: number): SkillRequirement[] {
  const need = new Map<string, number>();
  for (const s of callSkills) need.set(s, 1);
  for (const r of queue.requiredSkills) need.set(r.skill, Math.max(need.get(r.skill) ?? 1, r.minProficiency));
  let cap = Infinity;
  for (const step of elapsedRelaxSteps(queue, waitMs)) {
    if (step.minProficiency !== undefined) cap = Math.min(cap, step.minProficiency);
    for (const d of step.dropSkills ?? []) need.delete(d);
  }
  const out: SkillRequirement[] = [];
  for (const [skill, min] of need) out.push({ skill, minProficiency: Math.min(min, cap) });
  out.sort((a, b) => (a.skill < b.skill ? -1 : a.skill > b.skill ? 1 : 0));
  return out;
}

/** Groups whose agents serve the queue: its own plus any a staffing tier added. Empty = every agent. */
export function servingGroups(queue: QueueConfig, extraGroups?: readonly string[]): string[] {
  if (queue.agentGroups.length === 0) return [];
  if (!extraGroups || extraGroups.length === 0) return queue.agentGroups;
  return [...new Set([...queue.agentGroups, ...extraGroups])];
}

export function inGroups(agent: AgentSnapshot, groups: readonly string[]): boolean {
  if (groups.length === 0) return true;
  for (const g of agent.groups) if (groups.includes(g)) return true;
  return false;
}

export function meetsSkills(agent: AgentSnapshot, reqs: readonly SkillRequirement[]): boolean {
  for (const r of reqs) if ((agent.skills[r.skill] ?? 0) < r.minProficiency) return false;
  return true;
}

/** Sum of the agent's proficiency over the required skills (best-skill strategy). */
export function skillScore(agent: AgentSnapshot, reqs: readonly SkillRequirement[]): number {
  let s = 0;
  for (const r of reqs) s += agent.skills[r.skill] ?? 0;
  return s;
}

/** The full predicate: available, serves the queue, has the skills, has not refused this call. */
export function isEligible(
  agent: AgentSnapshot,
  call: WaitingCall,
  queue: QueueConfig,
  now: number,
  extraGroups?: readonly string[],
): boolean {
  return (
    agent.state === 'available' &&
    inGroups(agent, servingGroups(queue, extraGroups)) &&
    meetsSkills(agent, effectiveRequirements(queue, call.skills, now - call.enteredAt)) &&
    !call.refusedBy.includes(agent.id)
  );
}
