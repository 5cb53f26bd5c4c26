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

function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  let s = 0;
  for (const x of xs) s += Math.exp(x - max);
  return max + Math.log(s);
}

/**
 * The stationary distribution of M/M/N+M as log weights: states 0..N (n busy agents) and N+k
 * (k waiting), truncated where further terms are below e^-40 of the largest.
 */
export function erlangAStates(lambda: number, mu: number, theta: number, n: number): { logW: number[]; logZ: number } {
  const load = lambda / mu;
  const logW: number[] = new Array<number>(n + 1);
  // Up to N: w_n / w_{n−1} = load / n, from w_N = 1 backwards (log space).
  logW[n] = 0;
  for (let i = n; i >= 1; i--) logW[i - 1] = logW[i]! + Math.log(i / load);
  // Above N: w_{N+k} / w_{N+k−1} = λ / (Nμ + kθ).
  let peak = logW.reduce((a, b) => Math.max(a, b), -Infinity);
  for (let k = 1; ; k++) {
    const next = logW[n + k - 1]! + Math.log(lambda / (n * mu + k * theta));
    logW.push(next);
    if (next > peak) peak = next;
    const falling = lambda < n * mu + k * theta;
    if (falling && next < peak - 40) break;
    if (k > 10_000_000) throw new ErlangInputError('patienceSeconds', 'the queue does not settle (patience too long for this overload)');
  }
  return { logW, logZ: logSumExp(logW) };
}

export function erlangA(input: ErlangInput): ErlangResult {
  check(input);
  if (input.patienceSeconds === undefined) return erlangC(input);
  const { agents: n, ahtSeconds: aht, targetSeconds: t } = input;
  const lambda = input.arrivalRate;
  const mu = 1 / aht;
  const theta = 1 / input.patienceSeconds;
  const { logW, logZ } = erlangAStates(lambda, mu, theta, n);
  const p = (i: number): number => Math.exp(logW[i]! - logZ);
  let pWait = 0;
  let queued = 0;
  let servedWaitSum = 0; // E[wait · 1{waited and served}]
  let servedWithin = 0; // P(waits and is served within t)
  const positions = logW.length - n; // an arrival finding k waiting starts at position k + 1
  const within = timeToServiceCdf(n * mu, theta, positions, t);
  let mean = 0;
  for (let k = 0; k < positions; k++) {
    const pi = p(n + k);
    pWait += pi;
    queued += k * pi;
    // From position i = k + 1 the caller is served with probability Nμ/(Nμ + iθ), and the time to
    // service is a sum of Exp(Nμ + mθ), m = i..1, independent of whether each step ahead was a
    // service or an abandonment (exponential races).
    const i = k + 1;
    const pServed = (n * mu) / (n * mu + i * theta);
    mean += 1 / (n * mu + i * theta);
    servedWaitSum += pi * pServed * mean;
    servedWithin += pi * pServed * within[i]!;
  }
  const pAbandon = (theta * queued) / lambda;
  const answered = 1 - pAbandon;
  return {
    pWait,
    asa: answered > 0 ? servedWaitSum / answered : 0,
    serviceLevel: 1 - pWait + servedWithin,
    occupancy: (lambda * answered * aht) / n,
    pAbandon,
  };
}

/**
 * For every start position i = 1..K: P(T_1 + … + T_i ≤ t) with independent T_m ~ Exp(base + mθ),
 * at once, by uniformization of the pure-death chain K → … → 1 → 0 at rate Λ = base + Kθ
 * (Poisson weights in log space; stops when they are spent).
 */
function timeToServiceCdf(base: number, theta: number, positions: number, t: number): Float64Array {
  const out = new Float64Array(positions + 1);
  if (t <= 0) return out;
  const rateMax = base + positions * theta;
  const lt = rateMax * t;
  // P(at 0 after j jumps | start m), and the next step's, swapped each jump (no allocation per jump).
  let reached = new Float64Array(positions + 1);
  let next = new Float64Array(positions + 1);
  reached[0] = 1;
  next[0] = 1;
  let logPoisson = -lt;
  let spent = 0;
  for (let j = 0; j < 10_000_000; j++) {
    const weight = Math.exp(logPoisson);
    for (let m = 1; m <= positions; m++) out[m]! += weight * reached[m]!;
    spent += weight;
    if (j > lt && (1 - spent < 1e-12 || weight < 1e-18)) break;
    for (let m = 1; m <= positions; m++) {
      const move = (base + m * theta) / rateMax;
      next[m] = move * reached[m - 1]! + (1 - move) * reached[m]!;
    }
    [reached, next] = [next, reached];
    logPoisson += Math.log(lt / (j + 1));
  }
  for (let m = 1; m <= positions; m++) out[m] = Math.min(1, out[m]!);
  return out;
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
  const at = (n: number): ErlangResult | undefined => {
    const r = erlangA({ ...input, agents: n });
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
