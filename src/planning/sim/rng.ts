/**
 * The simulator's seeded random numbers: mulberry32 (32-bit state, period 2^32, fast and good
 * enough for queueing simulation), with the draws the simulator needs. The same seed gives the
 * same run, on every machine.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in (0, 1): never 0, so logarithms are safe. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }

  /** Exponential with this mean. */
  exp(mean: number): number {
    return -mean * Math.log(this.next());
  }

  /** An index drawn by the weights (which sum to 1, within rounding). */
  pick(weights: readonly number[]): number {
    let u = this.next();
    for (let i = 0; i < weights.length - 1; i++) {
      u -= weights[i]!;
      if (u <= 0) return i;
    }
    return weights.length - 1;
  }
}
