/**
 * The values an announcement is rendered with, as a supervisor gives them in a hurry:
 * `--time 18:00` or `--time +2h` rather than "晚上6點". A clock time (HH:MM) becomes the
 * spoken Mandarin form, and a relative time (+90m, +2h, +1h30m) becomes the spoken clock
 * time that far from the switch, rounded up to the next 5 minutes, in the line's zone —
 * so the TTS reads a time the way a caller expects to hear it. Anything else (a URL, a
 * phrase such as 今晚稍後) is read as written. Defaults come from the preset, so that one
 * command (`surgeline announce 4008002222 outage`) switches the line; values given with
 * the switch win over them. Pure: time and zone are parameters.
 */
import { speakClock, speakTime, type VariableName } from './template.ts';

export type Values = Partial<Record<VariableName, string>>;

const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const RELATIVE = /^\+\s*(?:(\d{1,3})\s*h)?\s*(?:(\d{1,4})\s*m(?:in)?)?$/i;
const ROUND_MS = 5 * 60_000;
/** Variables that hold a time of day (the others are read as written). */
const TIME_VARIABLES: readonly VariableName[] = ['time', 'eta'];

/** One value as callers will hear it; undefined for an empty value. */
export function resolveValue(name: VariableName, raw: string, nowMs: number, timeZone: string): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  if (!TIME_VARIABLES.includes(name)) return value;
  const clock = CLOCK.exec(value);
  if (clock) return speakClock(Number(clock[1]), Number(clock[2]));
  const rel = RELATIVE.exec(value);
  if (rel && (rel[1] !== undefined || rel[2] !== undefined)) {
    const ms = (Number(rel[1] ?? 0) * 60 + Number(rel[2] ?? 0)) * 60_000;
    const at = Math.ceil((nowMs + ms) / ROUND_MS) * ROUND_MS;
    return speakTime(at, timeZone);
  }
  return value;
}

/** The preset's defaults overlaid with the values given, each resolved; empty values dropped. */
export function resolveValues(defaults: Values | undefined, given: Values | undefined, nowMs: number, timeZone: string): Values {
  const merged: Values = { ...(defaults ?? {}), ...(given ?? {}) };
  const out: Values = {};
  for (const [name, raw] of Object.entries(merged) as [VariableName, string | undefined][]) {
    if (raw === undefined) continue;
    const v = resolveValue(name, raw, nowMs, timeZone);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
