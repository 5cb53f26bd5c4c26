/**
 * Nonce-count replay protection with bounded memory (RFC 7616 §3.4: "the server can
 * detect request replays by maintaining its own copy of this count — if the same nc
 * value is seen twice, then the request is a replay"; RFC 2617 §3.2.2).
 *
 * Remembers the highest nc accepted per nonce. Memory is bounded by dropping the entry
 * seen first; to stay sound after forgetting, the tracker keeps a watermark (the newest
 * issue time among evicted nonces) and refuses any nonce it does not know that was
 * issued at or before it: such a nonce may have been used already. The client then gets
 * a stale=true challenge and retries with a fresh nonce, so a full table costs a round
 * trip, never a replay.
 *
 * NOTE: the table lives in one process. Nodes that share the nonce secret accept each
 * other's nonces, so a request replayed to a different node within the nonce lifetime is
 * not caught; route a client's requests to one node or share this table (e.g. in Redis).
 */

/** Stands for a nonce used in the qop-less RFC 2069 form: it has no nc, so one use spends it. */
export const SPENT = Number.MAX_SAFE_INTEGER;

interface Entry {
  nc: number;
  issuedAt: number;
}

export class NonceCountTracker {
  private readonly entries = new Map<string, Entry>();
  private watermark = -Infinity;

  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /**
   * Record `nc` for `nonce` if it is greater than any accepted before; false means a
   * replay (or a nonce this tracker can no longer vouch for). `expiredBefore`: entries
   * issued before this wall time are dropped first, since expired nonces are refused
   * before they get here.
   */
  accept(nonce: string, issuedAt: number, nc: number, expiredBefore: number): boolean {
    const entry = this.entries.get(nonce);
    if (entry) {
      if (nc <= entry.nc) return false;
      entry.nc = nc;
      return true;
    }
    if (issuedAt <= this.watermark) return false;
    this.pruneExpired(expiredBefore);
    while (this.entries.size >= this.capacity) {
      const first = this.entries.entries().next();
      if (first.done) break;
      const [key, old] = first.value;
      this.entries.delete(key);
      if (old.issuedAt > this.watermark) this.watermark = old.issuedAt;
    }
    this.entries.set(nonce, { nc, issuedAt });
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private pruneExpired(expiredBefore: number): void {
    // Insertion order is first-use order, which tracks issue order closely enough: stop at
    // the first live entry rather than scanning the whole table on every request.
    for (const [key, e] of this.entries) {
      if (e.issuedAt >= expiredBefore) break;
      this.entries.delete(key);
    }
  }
}
