/**
 * RTP/RTCP port pairs from a configured range (pure: no sockets here).
 *
 * RFC 3550 §11: "For UDP and similar protocols, RTP SHOULD use an even destination port
 * number and the corresponding RTCP stream SHOULD use the next higher (odd) destination
 * port number." So a leg takes an even port p for RTP and p+1 for RTCP, both inside the
 * range.
 *
 * Ports are handed out round-robin from a cursor rather than lowest-free-first: a port
 * released by a call that just ended is reused as late as possible, so straggling
 * packets from the old far end do not land in a new call (and do not get latched).
 */

export type PortRange = readonly [low: number, high: number];

export class PortRangeError extends Error {
  override readonly name = 'PortRangeError';
}

/** Parses "20000-29999" (both ends inclusive). The range must hold at least one even/odd pair. */
export function parsePortRange(text: string): PortRange {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!m) throw new PortRangeError(`expected a port range such as 20000-29999, got ${JSON.stringify(text)}`);
  return checkPortRange([Number(m[1]), Number(m[2])]);
}

/** Validates a [low, high] pair; returns it unchanged. */
export function checkPortRange(range: readonly [number, number]): PortRange {
  const [low, high] = range;
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535 || low > high) {
    throw new PortRangeError(`bad port range ${low}-${high}: need 1 <= low <= high <= 65535`);
  }
  if (pairCount(range) === 0) {
    throw new PortRangeError(`port range ${low}-${high} holds no even RTP port with its odd RTCP port`);
  }
  return range;
}

function firstEven(low: number): number {
  return low % 2 === 0 ? low : low + 1;
}

function pairCount([low, high]: readonly [number, number]): number {
  const first = firstEven(low);
  return first + 1 > high ? 0 : Math.floor((high - first - 1) / 2) + 1;
}

export class PortAllocator {
  readonly range: PortRange;
  private readonly first: number;
  private readonly pairs: number;
  private readonly used: Uint8Array;
  private cursor = 0;
  private inUseCount = 0;

  constructor(range: readonly [number, number]) {
    this.range = checkPortRange(range);
    this.first = firstEven(range[0]);
    this.pairs = pairCount(range);
    this.used = new Uint8Array(this.pairs);
  }

  /** Number of RTP/RTCP pairs the range holds. */
  get capacity(): number {
    return this.pairs;
  }

  /** Pairs currently handed out. */
  get inUse(): number {
    return this.inUseCount;
  }

  /**
   * The next free even RTP port after the last one handed out, wrapping at the end of the
   * range; marks it in use. Undefined when every pair is in use.
   */
  take(): number | undefined {
    if (this.inUseCount === this.pairs) return undefined;
    for (let n = 0; n < this.pairs; n++) {
      const i = this.cursor;
      this.cursor = i + 1 === this.pairs ? 0 : i + 1;
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.inUseCount++;
        return this.first + 2 * i;
      }
    }
    return undefined;
  }

  /** Returns a pair to the pool. Releasing a port that is not in use is a no-op. */
  release(rtpPort: number): void {
    const i = this.index(rtpPort);
    if (i !== undefined && this.used[i] === 1) {
      this.used[i] = 0;
      this.inUseCount--;
    }
  }

  /** True while the pair starting at rtpPort is handed out. */
  isInUse(rtpPort: number): boolean {
    const i = this.index(rtpPort);
    return i !== undefined && this.used[i] === 1;
  }

  private index(rtpPort: number): number | undefined {
    const off = rtpPort - this.first;
    if (!Number.isInteger(off) || off < 0 || off % 2 !== 0) return undefined;
    const i = off / 2;
    return i < this.pairs ? i : undefined;
  }
}
