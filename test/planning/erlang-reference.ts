/**
 * An independent Erlang A for the tests: the stationary distribution of the M/M/N+M birth–death
 * chain summed state by state in log space (Palm 1943), and the service level by uniformization of
 * each queue position's time to answer. This was the product's implementation until the closed
 * form replaced it for speed; it stays here as the check the closed form is held to.
 */
import type { ErlangInput, ErlangResult } from '../../src/planning/erlang.ts';

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
    if (k > 10_000_000) throw new Error('the queue does not settle');
  }
  return { logW, logZ: logSumExp(logW) };
}

export function erlangAByStates(input: ErlangInput & { patienceSeconds: number }): ErlangResult {
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

