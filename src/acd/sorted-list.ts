/**
 * A list kept in the order of a total comparator, for the incremental router (route-index.ts):
 * binary-search insert and remove over a plain array. Appends (the common case: a new caller is
 * the most junior) are O(1); other inserts and removes move the tail, a memmove that stays far
 * below a millisecond at 100,000 entries (bench/acd-route-index.ts).
 */
export class SortedList<T> {
  private readonly items: T[] = [];

  constructor(private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  at(i: number): T | undefined {
    return this.items[i];
  }

  /** Index of the first item for which `pred` holds; `pred` must be false then true along the list. */
  search(pred: (x: T) => boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(this.items[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  insert(x: T): void {
    const n = this.items.length;
    if (n === 0 || this.cmp(this.items[n - 1]!, x) < 0) this.items.push(x);
    else this.items.splice(this.search((y) => this.cmp(y, x) >= 0), 0, x);
  }

  /** Removes the item equal to `x` under the comparator; false when absent. */
  remove(x: T): boolean {
    const i = this.search((y) => this.cmp(y, x) >= 0);
    if (i >= this.items.length || this.cmp(this.items[i]!, x) !== 0) return false;
    if (i === 0) this.items.shift();
    else this.items.splice(i, 1);
    return true;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }

  /** Items from the last to the first. */
  *reversed(): Generator<T> {
    for (let i = this.items.length - 1; i >= 0; i--) yield this.items[i]!;
  }
}
