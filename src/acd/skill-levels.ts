/**
 * The free agents of the incremental router (route-index.ts) by skill and proficiency: for
 * each skill, one list per level 1..10 in longest-idle order. It answers, without walking
 * agents who lack the skill or the level:
 *  - the first free agent in longest-idle order with skill ≥ level that passes a predicate
 *    (a merge of the level lists, in the same order as the full idle list);
 *  - the best-skill choice for one requirement: the highest level with a usable agent, the
 *    longest idle there;
 *  - the best score any free agent could reach (a bound that ends a best-skill walk early).
 * A proficiency outside 1..10 (never in valid data) switches the shortcuts off (`exact` false).
 */
import type { AgentSnapshot } from './types.ts';
import type { SkillRequirement } from './eligibility.ts';
import { byLongestIdle } from './router.ts';
import { SortedList } from './sorted-list.ts';

const LEVELS = 10;

export class SkillLevels {
  private readonly lists = new Map<string, SortedList<AgentSnapshot>[]>();
  private odd = 0;

  /** False while an agent with a proficiency outside 1..10 is free: callers then walk everyone. */
  get exact(): boolean {
    return this.odd === 0;
  }

  add(agent: AgentSnapshot): void {
    for (const [skill, level] of Object.entries(agent.skills)) {
      if (!Number.isInteger(level) || level < 1 || level > LEVELS) {
        this.odd++;
        continue;
      }
      this.listsOf(skill)[level]!.insert(agent);
    }
  }

  remove(agent: AgentSnapshot): void {
    for (const [skill, level] of Object.entries(agent.skills)) {
      if (!Number.isInteger(level) || level < 1 || level > LEVELS) {
        this.odd--;
        continue;
      }
      this.listsOf(skill)[level]!.remove(agent);
    }
  }

  /** Free agents holding the skill at `min` or above. */
  count(req: SkillRequirement): number {
    const lists = this.lists.get(req.skill);
    let n = 0;
    if (lists) for (let l = Math.max(1, req.minProficiency); l <= LEVELS; l++) n += lists[l]!.size;
    return n;
  }

  /** The highest skillScore any free agent could reach. */
  bound(reqs: readonly SkillRequirement[]): number {
    let total = 0;
    for (const r of reqs) {
      const lists = this.lists.get(r.skill);
      let top = LEVELS;
      while (top > 0 && (lists?.[top]?.size ?? 0) === 0) top--;
      total += top;
    }
    return total;
  }

  /** The first agent in longest-idle order with `req` met for which `usable` holds. */
  firstIdle(req: SkillRequirement, usable: (a: AgentSnapshot) => boolean): AgentSnapshot | undefined {
    const lists = this.lists.get(req.skill);
    if (!lists) return undefined;
    const from = Math.max(1, req.minProficiency);
    const live = lists.slice(from).filter((l) => l.size > 0);
    const pos = new Array<number>(live.length).fill(0);
    for (;;) {
      let k = -1;
      for (let i = 0; i < live.length; i++) {
        const a = live[i]!.at(pos[i]!);
        if (a !== undefined && (k < 0 || byLongestIdle(a, live[k]!.at(pos[k]!)!) < 0)) k = i;
      }
      if (k < 0) return undefined;
      const a = live[k]!.at(pos[k]!)!;
      if (usable(a)) return a;
      pos[k]!++;
    }
  }

  /** Best-skill for one requirement: the longest-idle usable agent at the highest level that has one. */
  best(req: SkillRequirement, usable: (a: AgentSnapshot) => boolean): AgentSnapshot | undefined {
    const lists = this.lists.get(req.skill);
    if (!lists) return undefined;
    for (let l = LEVELS; l >= Math.max(1, req.minProficiency); l--) {
      const list = lists[l]!;
      for (let i = 0; i < list.size; i++) {
        const a = list.at(i)!;
        if (usable(a)) return a;
      }
    }
    return undefined;
  }

  private listsOf(skill: string): SortedList<AgentSnapshot>[] {
    let lists = this.lists.get(skill);
    if (!lists) this.lists.set(skill, (lists = Array.from({ length: LEVELS + 1 }, () => new SortedList<AgentSnapshot>(byLongestIdle))));
    return lists;
  }
}
