/**
 * A binary min-heap of (instant, key) pairs: the incremental router's timers (relax and overflow
 * steps, max wait, the same-agent window). Entries are never removed early; the owner skips
 * stale ones when they surface (lazy deletion), so push and pop stay O(log n).
 */
export interface Timer<K> {
  at: number;
  key: K;
}

export class TimerHeap<K> {
  private readonly heap: Timer<K>[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Timer<K> | undefined {
    return this.heap[0];
  }

  push(at: number, key: K): void {
    const h = this.heap;
    h.push({ at, key });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
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
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
    return top;
  }
}
