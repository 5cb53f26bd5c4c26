/**
 * Estimated wait time (EWT) for a waiting caller and how it is spoken. Pure: the caller passes
 * `now`, the recent answer times and staffing; the queue runtime recomputes it live for every
 * caller already waiting (issue 4: from the real service rate, not a static average).
 *
 * Estimate, in order of preference:
 * 1. measured capacity: the staffed agents over the queue's recent handle time (talk + wrap-up
 *    of its last calls): each of them frees up once per handle time, so being `position`-th
 *    in line means wait = position × handle / staffed. This holds from the first minute of a
 *    surge: the answer rate before it (item 2) only shows how fast calls *arrived* while agents
 *    sat idle — the live drill (bench/acd-drill.ts) measured a 71 % error with the answer rate
 *    alone, callers told 3–4 times their real wait at the step;
 * 2. no handle times yet: the live answer rate over a sliding window (15 minutes by default):
 *    wait = position / rate (1 answer / 20 s, 7th in line → 140 s ≈ "about 2 minutes");
 * 3. no answers in the window yet: position × configured AHT / staffed agents;
 * 4. none: undefined (the runtime says only the position).
 */
export const DEFAULT_RATE_WINDOW_MS = 15 * 60_000;

/** Lower-bound index of `t` in ascending `xs`. */
function lowerBound(xs: readonly number[], t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Answers per second over (now − window, now]. `answeredAt` ascending. `observedSince` (when the
 * queue started being watched) shortens the window at start-up so the first minutes are not
 * diluted by time nobody observed. Undefined when nothing was answered in the window.
 */
export function servedPerSecond(
  answeredAt: readonly number[],
  now: number,
  windowMs: number = DEFAULT_RATE_WINDOW_MS,
  observedSince?: number,
): number | undefined {
  const from = now - windowMs;
  const n = lowerBound(answeredAt, now + 1) - lowerBound(answeredAt, from + 1);
  if (n === 0) return undefined;
  const span = observedSince === undefined ? windowMs : Math.min(windowMs, Math.max(now - observedSince, 1));
  return n / (span / 1000);
}

/** Handle times kept per queue, and how many of the latest make its recent mean. */
export const HANDLE_SAMPLES = 100;
/** Fewer completed calls than this and the measured handle time is not trusted yet. */
export const MIN_HANDLE_SAMPLES = 3;

/** Mean of the latest HANDLE_SAMPLES handle times (ms); undefined below MIN_HANDLE_SAMPLES. */
export function recentHandleMs(handleMs: readonly number[]): number | undefined {
  const n = Math.min(handleMs.length, HANDLE_SAMPLES);
  if (n < MIN_HANDLE_SAMPLES) return undefined;
  let sum = 0;
  for (let i = handleMs.length - n; i < handleMs.length; i++) sum += handleMs[i]!;
  return sum / n;
}

export interface EwtInput {
  /** 1-based place in line (1 = next to be served). */
  position: number;
  /** The queue's recent mean handle time (recentHandleMs), measured. */
  handleMs?: number | undefined;
  servedPerSecond?: number | undefined;
  agentsStaffed: number;
  /** Average handle time (talk + wrap-up), fallback when there is no live rate. */
  ahtMs?: number | undefined;
  now: number;
}

export function estimateWaitMs(i: EwtInput): number | undefined {
  if (i.position < 1) return 0;
  if (i.handleMs !== undefined && i.handleMs > 0 && i.agentsStaffed > 0) return (i.position * i.handleMs) / i.agentsStaffed;
  if (i.servedPerSecond !== undefined && i.servedPerSecond > 0) return (i.position / i.servedPerSecond) * 1000;
  if (i.ahtMs !== undefined && i.ahtMs > 0 && i.agentsStaffed > 0) return (i.position * i.ahtMs) / i.agentsStaffed;
  return undefined;
}

export type WaitTextMode = 'less-than' | 'rounded' | 'precise';
export type WaitLang = 'zh-TW' | 'en';

const LESS_THAN_STEPS = [1, 2, 3, 5, 10, 15, 20, 30, 45, 60];

/** Minutes for "less than N minutes": the next step strictly above the wait. */
export function lessThanMinutes(ms: number): number {
  const min = ms / 60_000;
  for (const s of LESS_THAN_STEPS) if (min < s) return s;
  return (Math.floor(min / 30) + 1) * 30;
}

/** Rounded minutes: to 1 minute below 10 minutes, to 5 minutes from there; at least 1. */
export function roundedMinutes(ms: number): number {
  const min = ms / 60_000;
  if (min < 9.5) return Math.max(1, Math.round(min));
  return Math.max(10, Math.round(min / 5) * 5);
}

/** Precise: minutes and seconds, seconds to the nearest 10. */
export function preciseParts(ms: number): { minutes: number; seconds: number } {
  const total = Math.max(10, Math.round(ms / 10_000) * 10);
  return { minutes: Math.floor(total / 60), seconds: total % 60 };
}

export function formatWait(ms: number, mode: WaitTextMode, lang: WaitLang = 'zh-TW'): string {
  const zh = lang === 'zh-TW';
  if (mode === 'less-than') {
    const m = lessThanMinutes(ms);
    return zh ? `不到${m}分鐘` : `less than ${m} minute${m === 1 ? '' : 's'}`;
  }
  if (mode === 'rounded') {
    const m = roundedMinutes(ms);
    return zh ? `大約${m}分鐘` : `about ${m} minute${m === 1 ? '' : 's'}`;
  }
  const { minutes, seconds } = preciseParts(ms);
  if (zh) return `大約${minutes > 0 ? `${minutes}分鐘` : ''}${seconds > 0 ? `${seconds}秒` : ''}`;
  const parts: string[] = [];
  if (minutes > 0) parts.push(`${minutes} minute${minutes === 1 ? '' : 's'}`);
  if (seconds > 0) parts.push(`${seconds} seconds`);
  return `about ${parts.join(' ')}`;
}

export function positionText(n: number, lang: WaitLang = 'zh-TW'): string {
  return lang === 'zh-TW' ? `您目前排在第${n}位` : `you are number ${n} in line`;
}
