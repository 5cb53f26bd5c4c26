/**
 * Erlang C (M/M/N) and Erlang A (M/M/N+M, exponential patience) for one interval of one queue
 * (C21; issue 5 item 1). Pure and numerically stable for large systems:
 * - Erlang C through the Erlang B recursion B(n) = A·B(n−1) / (n + A·B(n−1)), then
 *   C = N·B / (N − A·(1 − B)) (e.g. Gans, Koole, Mandelbaum, "Telephone call centers", 2003, §4.1);
 * - Erlang A from its birth–death chain (Palm 1943; Garnett, Mandelbaum, Reiman 2002): the
 *   stationary weights are summed in log space, so 20,000 agents neither overflow nor underflow.
 * Inputs: arrival rate λ per second, mean handle time AHT (s), N agents, answer target t (s),
 * mean patience (s) for Erlang A. Service level = the share of offered calls answered within t.
 */

export interface ErlangInput {
  /** Calls per second. */
  readonly arrivalRate: number;
  /** Mean handle time, seconds. */
  readonly ahtSeconds: number;
  readonly agents: number;
  /** The answer-time target of the service level, seconds. */
  readonly targetSeconds: number;
  /** Mean patience (seconds) of waiting callers: Erlang A. Omitted: Erlang C (nobody abandons). */
  readonly patienceSeconds?: number | undefined;
}

export interface ErlangResult {
  /** Probability an arriving caller waits. */
  readonly pWait: number;
  /** Average speed of answer: the mean wait of the calls answered, seconds. */
  readonly asa: number;
  /** Share of offered calls answered within the target. */
  readonly serviceLevel: number;
  /** Agents' busy share: carried load / agents. */
  readonly occupancy: number;
  /** Erlang A only: probability a caller abandons. */
  readonly pAbandon?: number;
}

export class ErlangInputError extends RangeError {
  override readonly name = 'ErlangInputError';
  constructor(
    readonly field: keyof ErlangInput,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function check(input: ErlangInput): void {
  const positive = (field: keyof ErlangInput, v: number | undefined): void => {
    if (v === undefined || !Number.isFinite(v) || v <= 0) throw new ErlangInputError(field, `must be a positive number, not ${String(v)}`);
  };
  positive('arrivalRate', input.arrivalRate);
  positive('ahtSeconds', input.ahtSeconds);
  if (!Number.isInteger(input.agents) || input.agents < 1) throw new ErlangInputError('agents', `must be a whole number ≥ 1, not ${String(input.agents)}`);
  if (!Number.isFinite(input.targetSeconds) || input.targetSeconds < 0) throw new ErlangInputError('targetSeconds', `must be ≥ 0, not ${String(input.targetSeconds)}`);
  if (input.patienceSeconds !== undefined) positive('patienceSeconds', input.patienceSeconds);
}

/** Erlang B blocking probability with N servers and A Erlangs, by the stable recursion. */
export function erlangB(agents: number, load: number): number {
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (load * b) / (n + load * b);
  return b;
}

/** Erlang C: the probability of waiting; load must be below the agents. */
export function erlangCWait(agents: number, load: number): number {
  const b = erlangB(agents, load);
  return (agents * b) / (agents - load * (1 - b));
}

export function erlangC(input: ErlangInput): ErlangResult {
  check(input);
  const { agents: n, ahtSeconds: aht, targetSeconds: t } = input;
  const load = input.arrivalRate * aht;
  if (load >= n) throw new ErlangInputError('agents', `${n} agents cannot carry ${load.toFixed(2)} Erlangs (arrivals × AHT): without abandonment the queue grows without end; add agents, or allow for abandonment with a patience (Erlang A)`);
  const c = erlangCWait(n, load);
  return {
    pWait: c,
    asa: (c * aht) / (n - load),
    serviceLevel: 1 - c * Math.exp((-(n - load) * t) / aht),
    occupancy: load / n,
  };
}

/** Sums are rescaled by this factor when they grow past it (overloaded queues have huge terms). */
const BIG = 1e250;
const LOG_BIG = Math.log(BIG);

/**
 * Erlang A in closed form (Mandelbaum and Zeltyn's incomplete-gamma expressions, derived here as
 * series). With a = Nμ/θ and y = λ/θ the stationary weight of "all N busy, k waiting" is
 * B·T_k, T_k = y^k / ((a+1)…(a+k)), and of "fewer than N busy" 1 − B, B = Erlang B(N, λ/μ)
 * (the chain below N is Erlang B's; weights are normalized at the end).
 * - A caller who finds k waiting is answered with probability a/(a+k+1); its time to answer is a
 *   sum of Exp(Nμ + mθ), m = k+1..1, which is −ln(X)/θ with X ~ Beta(a+1, k+1). Summed against
 *   T_k, P(waits, answered within t) = a·[Σ_k T_k/(a+k+1) − x^(a+1)·e^(y(1−x))·Σ_k (yx)^k/((a+1)…(a+k+1))]
 *   with x = e^(−θt): the second sum is e^y·y^(−a−1)·γ(a+1, yx), the first the same at x = 1.
 * Each sum is one pass of multiplications (no logarithms, no state table), O(y − a + √y) terms.
 */
function erlangAClosed(lambda: number, mu: number, theta: number, n: number, blocking: number, t: number): ErlangResult {
  const a = (n * mu) / theta;
  const y = lambda / theta;
  // Main series: S = Σ T_k (waiting), Q = Σ k·T_k (queue length), P = Σ T_k/(a+k+1) (answered after
  // a wait, over a), E = Σ T_k/(a+k+1)·Σ_{m≤k+1} 1/(a+m) (their waits, over a/θ). Values are kept
  // divided by BIG^scale.
  let below = 1 - blocking;
  let term = blocking;
  let S = 0;
  let Q = 0;
  let P = 0;
  let E = 0;
  let harmonic = 0;
  let scale = 0;
  for (let k = 0; ; k++) {
    harmonic += 1 / (a + k + 1);
    const served = term / (a + k + 1);
    S += term;
    Q += k * term;
    P += served;
    E += served * harmonic;
    if ((k > y - a && term <= S * 1e-17) || term === 0) break;
    term *= y / (a + k + 1);
    if (term > BIG) {
      term /= BIG;
      S /= BIG;
      Q /= BIG;
      P /= BIG;
      E /= BIG;
      below /= BIG;
      scale++;
    }
    if (k > 50_000_000) throw new ErlangInputError('patienceSeconds', 'the queue does not settle (patience too long for this overload)');
  }
  const z = below + S;
  const pAbandon = Q / y / z;
  const answered = 1 - pAbandon;
  return {
    pWait: S / z,
    asa: answered > 0 ? (a * E) / theta / z / answered : 0,
    serviceLevel: Math.min(1, below / z + (t > 0 ? (a * Math.max(0, P - answeredLater(a, y, theta * t, blocking, scale))) / z : 0)),
    occupancy: (lambda * answered) / mu / n,
    pAbandon,
  };
}

/**
 * B·x^(a+1)·e^(y(1−x))·Σ_k (yx)^k/((a+1)…(a+k+1)) with x = e^(−θt) > 0, divided by BIG^scale:
 * the part of the answered-after-a-wait weight whose wait exceeds t.
 */
function answeredLater(a: number, y: number, thetaT: number, blocking: number, scale: number): number {
  if (blocking === 0) return 0;
  const x = Math.exp(-thetaT);
  const yx = y * x;
  let term = 1 / (a + 1);
  let sum = 0;
  let own = 0;
  for (let k = 0; ; k++) {
    sum += term;
    if (k > yx - a && term <= sum * 1e-17) break;
    term *= yx / (a + k + 2);
    if (term > BIG) {
      term /= BIG;
      sum /= BIG;
      own++;
    }
  }
  const log = Math.log(blocking) - (a + 1) * thetaT + y * (1 - x) + Math.log(sum) + (own - scale) * LOG_BIG;
  return Math.exp(log);
}

export function erlangA(input: ErlangInput): ErlangResult {
  check(input);
  if (input.patienceSeconds === undefined) return erlangC(input);
  const mu = 1 / input.ahtSeconds;
  return erlangAClosed(input.arrivalRate, mu, 1 / input.patienceSeconds, input.agents, erlangB(input.agents, input.arrivalRate / mu), input.targetSeconds);
}

/**
 * The smallest agent count whose service level meets `level` (0..1) within the target.
 * Erlang C walks up from ⌊A⌋ + 1 carrying the Erlang B recursion along (one step per agent,
 * O(N) in all). Erlang A starts from the Erlang C answer (abandonment usually needs no more
 * agents, sometimes a few) and gallops then bisects on N, the service level being increasing
 * in N: a handful of evaluations instead of one per agent.
 */
export function agentsFor(input: Omit<ErlangInput, 'agents'>, level: number): { agents: number; result: ErlangResult } {
  if (!(level > 0 && level < 1)) throw new ErlangInputError('targetSeconds', `the service level must be between 0 and 1 (exclusive), not ${level}`);
  const c = agentsForC(input, level);
  if (input.patienceSeconds === undefined) return c;
  const meets = new Map<number, ErlangResult>();
  const mu = 1 / input.ahtSeconds;
  const theta = 1 / input.patienceSeconds;
  const blocking = blockingTable(input.arrivalRate * input.ahtSeconds);
  const at = (n: number): ErlangResult | undefined => {
    const r = erlangAClosed(input.arrivalRate, mu, theta, n, blocking(n), input.targetSeconds);
    if (r.serviceLevel >= level) meets.set(n, r);
    return meets.get(n);
  };
  // Bracket: lo fails (or is 0), hi meets.
  let lo = 0;
  let hi = c.agents;
  if (at(hi)) {
    for (let step = 1; ; step *= 2) {
      const n = hi - step;
      if (n < 1) break;
      if (!at(n)) {
        lo = n;
        break;
      }
      hi = n;
    }
  } else {
    lo = hi;
    for (let step = 1; ; step *= 2) {
      const n = lo + step;
      if (at(n)) {
        hi = n;
        break;
      }
      lo = n;
    }
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (at(mid)) hi = mid;
    else lo = mid;
  }
  return { agents: hi, result: meets.get(hi) ?? erlangA({ ...input, agents: hi }) };
}

/** Erlang B(n, load) for any n, the recursion carried up once and kept (a search asks for several n). */
function blockingTable(load: number): (n: number) => number {
  const b = [1];
  return (n) => {
    for (let i = b.length; i <= n; i++) b.push((load * b[i - 1]!) / (i + load * b[i - 1]!));
    return b[n]!;
  };
}

/** Erlang C staffing: B(n) = A·B(n−1) / (n + A·B(n−1)) carried from n = 1 up to the answer. */
function agentsForC(input: Omit<ErlangInput, 'agents' | 'patienceSeconds'>, level: number): { agents: number; result: ErlangResult } {
  check({ ...input, agents: 1, patienceSeconds: undefined });
  const aht = input.ahtSeconds;
  const t = input.targetSeconds;
  const load = input.arrivalRate * aht;
  let n = Math.floor(load) + 1;
  let b = erlangB(n, load);
  for (;;) {
    const wait = (n * b) / (n - load * (1 - b));
    const serviceLevel = 1 - wait * Math.exp((-(n - load) * t) / aht);
    if (serviceLevel >= level) {
      return { agents: n, result: { pWait: wait, asa: (wait * aht) / (n - load), serviceLevel, occupancy: load / n } };
    }
    n++;
    b = (load * b) / (n + load * b);
  }
}
