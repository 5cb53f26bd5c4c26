/**
 * A list kept in the order of a total comparator, for the incremental router (route-index.ts):
 * binary-search insert and remove over a plain array. Appends (the common case: a new caller is
 * the most junior) are O(1), and so is taking the first item (the common removal: the oldest
 * caller answered, the longest-idle agent offered): the array keeps a head offset and is
 * compacted only when the dead front outgrows the live part, because Array.prototype.shift
 * moves the whole array once it is large (a queue holding 100,000 callbacks made every answer
 * a 100,000-element move). Other inserts and removes move the tail, a memmove that stays far
 * below a millisecond at 100,000 entries (bench/acd-route-index.ts).
 */
export class SortedList<T> {
  private items: (T | undefined)[] = [];
  /** Items before this index are gone. */
  private head = 0;

  constructor(private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  at(i: number): T | undefined {
    return i < 0 ? undefined : this.items[this.head + i];
  }

  /** Index of the first item for which `pred` holds; `pred` must be false then true along the list. */
  search(pred: (x: T) => boolean): number {
    return this.find(pred) - this.head;
  }

  /** As search, as an index into `items`. */
  private find(pred: (x: T) => boolean): number {
    let lo = this.head;
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
    if (n === this.head || this.cmp(this.items[n - 1]!, x) < 0) this.items.push(x);
    else if (this.head > 0 && this.cmp(x, this.items[this.head]!) < 0) this.items[--this.head] = x; // a new first item reuses the dead front
    else this.items.splice(this.find((y) => this.cmp(y, x) >= 0), 0, x);
  }

  /** Removes the item equal to `x` under the comparator; false when absent. */
  remove(x: T): boolean {
    const i = this.find((y) => this.cmp(y, x) >= 0);
    if (i >= this.items.length || this.cmp(this.items[i]!, x) !== 0) return false;
    if (i === this.head) {
      this.items[i] = undefined; // let go of it
      this.head++;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head > this.items.length - this.head) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    } else this.items.splice(i, 1);
    return true;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }

  /** Items from the last to the first. */
  *reversed(): Generator<T> {
    for (let i = this.items.length - 1; i >= this.head; i--) yield this.items[i]!;
  }
}
