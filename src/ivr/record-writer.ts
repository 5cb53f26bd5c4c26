/**
 * Call records written in batches. Every call writes its record when it is answered, every
 * few seconds while it runs and when it ends; at hundreds of calls a second one statement
 * per write is what limits the embedded store (PGlite runs PostgreSQL on the process's own
 * thread, so each statement holds up SIP). This writer collects the writes and hands them
 * to CallsRepository.write() every `flushMs` (or as soon as `maxRows` calls wait): a few
 * statements in one transaction per batch.
 *
 * Per call, order is kept: the writes of one call merge into one pending entry (an end that
 * comes while the start still waits becomes one insert); the next batch only begins when
 * the previous one is done, so a start always lands before its end. Each write's promise
 * settles when its row is in the store, so the runtime keeps a call live (the API reads it
 * from memory) until its end is written.
 *
 * A batch that fails is never dropped: a database verdict on the data (a tenant, line or
 * flow deleted meanwhile) makes the writer retry the calls one by one, so only the call
 * concerned fails; any other failure (the store unreachable) is logged and the batch goes
 * back in front of the queue, retried with back-off. close() writes everything still queued.
 */
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { ConflictError, FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../store/errors.ts';
import { isUuid } from '../store/ids.ts';
import type { CallWrite, CallsRepository } from '../store/repositories/calls.ts';
import type { CallRecordsSink } from './runtime-store.ts';

export interface RecordWriterOptions {
  readonly calls: Pick<CallsRepository, 'write'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Longest a write waits before its batch goes out; default 50 ms. */
  readonly flushMs?: number;
  /** A batch goes out at once when this many calls wait; default 500. */
  readonly maxRows?: number;
  /** First retry delay after a failed batch, doubled up to 5 s; default 100 ms. */
  readonly retryMs?: number;
  /** Attempts close() makes before it gives the queued records up (logged); default 5. */
  readonly closeAttempts?: number;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

interface Pending {
  write: CallWrite;
  waiters: Waiter[];
}

const MAX_RETRY_MS = 5000;

/** Class 22 (data exception) and 23 (integrity violation): the database refuses these rows, retrying cannot help. */
function isVerdict(err: unknown): boolean {
  if (err instanceof ValidationError) return true;
  const code = sqlState(err)?.code;
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/** The later write's fields win; the start stays (there is only ever one). */
function merge(older: CallWrite, newer: CallWrite): CallWrite {
  const out: CallWrite = { ...older };
  if (newer.start) out.start = newer.start;
  if (newer.journey !== undefined) out.journey = newer.journey;
  if (newer.variables !== undefined) out.variables = newer.variables;
  if (newer.legs !== undefined) out.legs = newer.legs;
  if (newer.end) out.end = newer.end;
  return out;
}

export class CallRecordWriter implements CallRecordsSink {
  private pending = new Map<string, Pending>();
  /** clock.now() when the oldest pending write arrived. */
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxRows: number;
  private readonly retryMs: number;

  constructor(private readonly opts: RecordWriterOptions) {
    this.flushMs = opts.flushMs ?? 50;
    this.maxRows = opts.maxRows ?? 500;
    this.retryMs = opts.retryMs ?? 100;
  }

  /** Calls waiting for their batch (not counting the batch being written). */
  get queued(): number {
    return this.pending.size;
  }

  start(rec: Parameters<CallRecordsSink['start']>[0]): Promise<void> {
    if (!isUuid(rec.id)) return Promise.reject(new ValidationError('id', 'a call id is a uuid'));
    const { id, tenantId, ...start } = rec;
    return this.add({ id, tenantId, start });
  }

  progress(tenantId: string, id: string, u: Parameters<CallRecordsSink['progress']>[2]): Promise<void> {
    return this.add({ id, tenantId, journey: u.journey, variables: u.variables, ...(u.legs !== undefined ? { legs: u.legs } : {}) });
  }

  end(tenantId: string, id: string, e: Parameters<CallRecordsSink['end']>[2]): Promise<void> {
    return this.add({
      id,
      tenantId,
      journey: e.journey,
      variables: e.variables,
      ...(e.legs !== undefined ? { legs: e.legs } : {}),
      end: { endedAt: e.endedAt, outcome: e.outcome, ...(e.target !== undefined ? { target: e.target } : {}) },
    });
  }

  /** Writes what is queued now and waits for it (and for a batch already under way). */
  async flush(): Promise<void> {
    await this.inflight;
    this.clearTimer();
    await this.flushOnce();
  }

  /**
   * Writes everything still queued, retrying a failing store a few times; what cannot be
   * written then is logged as lost and its promises rejected. Later writes are refused.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const attempts = this.opts.closeAttempts ?? 5;
    for (let attempt = 0; ; attempt++) {
      await this.inflight;
      this.clearTimer();
      if (this.pending.size === 0) break;
      if (attempt >= attempts) {
        const lost = [...this.pending.values()];
        this.pending = new Map();
        this.opts.log.error({ calls: lost.length, ids: lost.slice(0, 20).map((p) => p.write.id) }, 'call records lost: the store refused them until shutdown');
        const err = new Error(`call record not written: the store was unavailable until shutdown`);
        for (const p of lost) for (const w of p.waiters) w.reject(err);
        break;
      }
      if (this.failures > 0) await new Promise((r) => setTimeout(r, this.backoff()));
      await this.flushOnce();
    }
    this.closed = true;
  }

  private add(write: CallWrite): Promise<void> {
    if (this.closed) return Promise.reject(new Error('call record writer closed'));
    return new Promise<void>((resolve, reject) => {
      const held = this.pending.get(write.id);
      if (held && held.write.tenantId !== write.tenantId) return reject(new NotFoundError('call', write.id));
      if (held && held.write.start && write.start) return reject(new ConflictError(`call ${write.id} already exists`, undefined));
      if (this.pending.size === 0) this.since = this.opts.clock.now();
      if (held) {
        held.write = merge(held.write, write);
        held.waiters.push({ resolve, reject });
      } else {
        this.pending.set(write.id, { write, waiters: [{ resolve, reject }] });
      }
      // A full batch goes out at once (unless the store is failing: then the back-off rules).
      if (this.pending.size >= this.maxRows && this.failures === 0) this.clearTimer();
      this.schedule();
    });
  }

  private backoff(): number {
    return Math.min(MAX_RETRY_MS, this.retryMs * 2 ** Math.max(0, this.failures - 1));
  }

  /**
   * Arms the timer for the next batch. Node's own timer, ref'd: queued records keep the
   * process up until they are written (the clock's timers are unref'd).
   */
  private schedule(): void {
    if (this.inflight || this.timer || this.pending.size === 0 || this.closed) return;
    const delay =
      this.failures > 0
        ? this.backoff()
        : this.pending.size >= this.maxRows
          ? 0
          : Math.max(0, this.since + this.flushMs - this.opts.clock.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushOnce();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flushOnce(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.pending.size === 0) return Promise.resolve();
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.inflight = this.writeOut(batch).finally(() => {
      this.inflight = undefined;
      this.schedule();
    });
    return this.inflight;
  }

  /** Never throws: settles the waiters, or puts the batch back for a retry. */
  private async writeOut(batch: Pending[]): Promise<void> {
    let unwritten: string[];
    try {
      ({ unwritten } = await this.opts.calls.write(batch.map((p) => p.write)));
    } catch (err) {
      if (isVerdict(err)) {
        if (batch.length > 1) {
          // One call the database refuses must not hold back the others: write them one by one.
          this.opts.log.warn({ calls: batch.length, err: String(err) }, 'call records batch refused: writing its calls one by one');
          for (const p of batch) await this.writeOut([p]);
        } else {
          const p = batch[0]!;
          const reason = sqlState(err)?.code === FOREIGN_KEY_VIOLATION ? new NotFoundError('tenant, line or flow', p.write.tenantId) : err;
          for (const w of p.waiters) w.reject(reason);
        }
        return;
      }
      this.failures++;
      this.requeue(batch);
      this.opts.log.error(
        { calls: batch.length, attempt: this.failures, retryInMs: this.backoff(), err: String(err) },
        'call records could not be written: retrying',
      );
      return;
    }
    if (this.failures > 0) this.opts.log.info({ calls: batch.length, attempts: this.failures + 1 }, 'call records written after retrying');
    this.failures = 0;
    const missing = new Set(unwritten);
    for (const p of batch) {
      if (!missing.has(p.write.id)) for (const w of p.waiters) w.resolve();
      else {
        const err = p.write.start ? new ConflictError(`call ${p.write.id} already exists`, undefined) : new NotFoundError('call', p.write.id);
        for (const w of p.waiters) w.reject(err);
      }
    }
  }

  /** A failed batch goes back in front of what arrived meanwhile, merged per call. */
  private requeue(batch: Pending[]): void {
    const next = new Map<string, Pending>();
    for (const p of batch) {
      const newer = this.pending.get(p.write.id);
      next.set(p.write.id, newer ? { write: merge(p.write, newer.write), waiters: [...p.waiters, ...newer.waiters] } : p);
    }
    for (const [id, p] of this.pending) if (!next.has(id)) next.set(id, p);
    this.pending = next;
    this.since = this.opts.clock.now();
  }
}
