/**
 * A binary min-heap of (instant, key) pairs: the incremental router's timers (relax and overflow
 * steps, max wait, the same-agent window) and the simulator's events. Entries are never removed
 * early; the owner skips stale ones when they surface (lazy deletion), so push and pop stay
 * O(log n). Entries due at the same instant come out in the order they were pushed (a sequence
 * number breaks ties): the simulator's callbacks deferred to a window's opening then re-enter
 * their queue in the order they were booked, at the tail, rather than scattered through it.
 */
export interface Timer<K> {
  at: number;
  key: K;
  /** Push order, for ties. */
  seq: number;
}

const before = <K>(a: Timer<K>, b: Timer<K>): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class TimerHeap<K> {
  private readonly heap: Timer<K>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  peek(): Timer<K> | undefined {
    return this.heap[0];
  }

  push(at: number, key: K): void {
    const h = this.heap;
    h.push({ at, key, seq: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  pop(): Timer<K> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
    return top;
  }
}
