/**
 * Did the server hear every key press exactly once? Compares the digits it logged for a
 * run's calls with what the generator sent.
 */
import type { DigitLog } from './server.ts';

export interface DigitAccount {
  /** Answered calls × digits each call sent. */
  readonly expected: number;
  /** Expected digits logged at least once on their call. */
  readonly detected: number;
  /** Logged more often than sent (same call, same digit). */
  readonly duplicates: number;
  /** Logged but never sent on that call. */
  readonly unexpected: number;
  /** Calls whose log holds exactly the sent digits, in order. */
  readonly callsExact: number;
  readonly callsWithDigits: number;
  /** detected / expected, 0..1 */
  readonly rate: number;
  readonly exactlyOnce: boolean;
}

/** Digits of an rtpload --digits spec ("12:1,14:#") that fall inside the hold, in order. */
export function digitsSent(spec: string, holdS: number): string[] {
  if (!spec) return [];
  return spec
    .split(',')
    .map((part) => {
      const [at, digit] = part.split(':');
      return { at: Number(at), digit: digit ?? '' };
    })
    .filter((d) => d.digit !== '' && Number.isFinite(d.at) && d.at < holdS)
    .sort((a, b) => a.at - b.at)
    .map((d) => d.digit);
}

export function accountDigits(logs: readonly DigitLog[], callIdPrefix: string, answeredCalls: number, sentPerCall: readonly string[]): DigitAccount {
  const byCall = new Map<string, string[]>();
  for (const l of logs) {
    if (!l.callId.startsWith(callIdPrefix)) continue;
    const list = byCall.get(l.callId);
    if (list) list.push(l.digit);
    else byCall.set(l.callId, [l.digit]);
  }
  const want = new Map<string, number>();
  for (const d of sentPerCall) want.set(d, (want.get(d) ?? 0) + 1);
  let detected = 0;
  let duplicates = 0;
  let unexpected = 0;
  let callsExact = 0;
  for (const got of byCall.values()) {
    const counts = new Map<string, number>();
    for (const d of got) counts.set(d, (counts.get(d) ?? 0) + 1);
    for (const [d, n] of counts) {
      const w = want.get(d) ?? 0;
      detected += Math.min(n, w);
      if (w === 0) unexpected += n;
      else if (n > w) duplicates += n - w;
    }
    if (got.length === sentPerCall.length && got.every((d, i) => d === sentPerCall[i])) callsExact++;
  }
  const expected = answeredCalls * sentPerCall.length;
  return {
    expected,
    detected,
    duplicates,
    unexpected,
    callsExact,
    callsWithDigits: byCall.size,
    rate: expected > 0 ? detected / expected : 0,
    exactlyOnce: expected > 0 && detected === expected && duplicates === 0 && unexpected === 0,
  };
}
