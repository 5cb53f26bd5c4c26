/**
 * Queue statistics over sliding windows (last 15 and 60 minutes): service level, ASA, abandons,
 * longest wait. Pure functions over an ascending list of queue events; the live runtime keeps the
 * list (pruned with pruneEvents) and the simulator feeds the same functions.
 *
 * Service level = answered within the target / (answered + abandoned after the short-abandon
 * threshold): callers who hang up within a few seconds (misdials) count neither way, the usual
 * contact-center convention. Undefined when nothing counts yet (no answer, no abandon).
 */
export type QueueEventKind = 'offered' | 'answered' | 'abandoned';

export interface QueueEvent {
  kind: QueueEventKind;
  /** When it happened (ms). */
  at: number;
  /** Wait in the queue before the answer or abandon (ms); 0 for 'offered'. */
  waitMs: number;
}

export interface WindowStats {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  answeredInTarget: number;
  /** 0..1, undefined when nothing counts yet. */
  serviceLevel: number | undefined;
  /** Average speed of answer (ms), undefined without answers. */
  asaMs: number | undefined;
  /** Longest wait among calls answered or abandoned in the window (ms). */
  longestWaitMs: number;
}

export interface StatsOptions {
  targetSeconds: number;
  shortAbandonSeconds?: number;
}

export const WINDOW_15_MIN = 15 * 60_000;
export const WINDOW_60_MIN = 60 * 60_000;

function firstAfter(events: readonly QueueEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.at <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Stats over events in (now − windowMs, now]; `events` ascending by `at`. */
export function windowStats(events: readonly QueueEvent[], now: number, windowMs: number, opts: StatsOptions): WindowStats {
  const target = opts.targetSeconds * 1000;
  const short = (opts.shortAbandonSeconds ?? 5) * 1000;
  const s: WindowStats = {
    offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, answeredInTarget: 0,
    serviceLevel: undefined, asaMs: undefined, longestWaitMs: 0,
  };
  let waitSum = 0;
  const end = firstAfter(events, now);
  for (let i = firstAfter(events, now - windowMs); i < end; i++) {
    const e = events[i]!;
    if (e.kind === 'offered') {
      s.offered++;
      continue;
    }
    s.longestWaitMs = Math.max(s.longestWaitMs, e.waitMs);
    if (e.kind === 'answered') {
      s.answered++;
      waitSum += e.waitMs;
      if (e.waitMs <= target) s.answeredInTarget++;
    } else if (e.waitMs < short) s.shortAbandoned++;
    else s.abandoned++;
  }
  const denom = s.answered + s.abandoned;
  if (denom > 0) s.serviceLevel = s.answeredInTarget / denom;
  if (s.answered > 0) s.asaMs = waitSum / s.answered;
  return s;
}

/** The two windows the product shows (issue 4 §9). */
export function queueStats(events: readonly QueueEvent[], now: number, opts: StatsOptions): { m15: WindowStats; m60: WindowStats } {
  return { m15: windowStats(events, now, WINDOW_15_MIN, opts), m60: windowStats(events, now, WINDOW_60_MIN, opts) };
}

/** Longest current wait among calls still waiting (ms), 0 when nobody waits. */
export function longestWaitingMs(enteredAt: Iterable<number>, now: number): number {
  let m = 0;
  for (const t of enteredAt) m = Math.max(m, now - t);
  return m;
}

/** Events still inside the longest window: a new array, the input is not mutated. */
export function pruneEvents(events: readonly QueueEvent[], now: number, keepMs: number = WINDOW_60_MIN): QueueEvent[] {
  return events.slice(firstAfter(events, now - keepMs));
}
