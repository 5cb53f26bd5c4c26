/**
 * Three-tier standby groups (issue 5 §3; seed 003: "三級應急人力" — staff called in as the
 * surge grows): for the peak interval's traffic multiplied by each tier's surge multiple, the
 * agents Erlang says are needed, and how many each tier adds to the ones before it. The live
 * tiers (src/acd/tiers.ts) then bring those groups onto the queue when their alert level is
 * crossed.
 */
import { agentsFor } from './erlang.ts';

export interface StandbyInput {
  /** Calls in the peak interval at normal volume. */
  readonly arrivals: number;
  readonly intervalSeconds: number;
  readonly ahtSeconds: number;
  readonly targetSeconds: number;
  readonly serviceLevel: number;
  readonly patienceSeconds?: number | undefined;
  /** Surge multiples of the tiers, increasing, e.g. [1.5, 2, 3]. */
  readonly multiples: readonly number[];
  /** Agents already planned for the peak; default what Erlang needs at 1×. */
  readonly baseAgents?: number | undefined;
  /** Share of paid time not on the phones: the group sizes are scheduled heads. */
  readonly shrinkage?: number;
}

export interface StandbyPlan {
  /** Needed on the phones at 1×, and the base the first tier adds to. */
  readonly needed: number;
  readonly base: number;
  readonly tiers: { multiple: number; needed: number; add: number; addScheduled: number }[];
}

export function standbyTiers(input: StandbyInput): StandbyPlan {
  const { multiples } = input;
  if (multiples.length === 0) throw new RangeError('multiples: at least one surge multiple');
  multiples.forEach((m, i) => {
    if (!(Number.isFinite(m) && m > 1)) throw new RangeError(`multiples[${i}]: a surge multiple above 1, not ${String(m)}`);
    if (i > 0 && m <= multiples[i - 1]!) throw new RangeError(`multiples[${i}]: must be above the tier before (${multiples[i - 1]})`);
  });
  const shrinkage = input.shrinkage ?? 0;
  if (!(shrinkage >= 0 && shrinkage < 1)) throw new RangeError(`shrinkage: 0 to below 1, not ${String(shrinkage)}`);
  const need = (m: number): number =>
    agentsFor({ arrivalRate: (input.arrivals * m) / input.intervalSeconds, ahtSeconds: input.ahtSeconds, targetSeconds: input.targetSeconds, patienceSeconds: input.patienceSeconds }, input.serviceLevel).agents;
  const needed = need(1);
  const base = Math.max(needed, input.baseAgents ?? 0);
  let before = base;
  const tiers = multiples.map((multiple) => {
    const n = need(multiple);
    const add = Math.max(0, n - before);
    before = Math.max(before, n);
    return { multiple, needed: n, add, addScheduled: Math.ceil(add / (1 - shrinkage) - 1e-9) };
  });
  return { needed, base, tiers };
}
