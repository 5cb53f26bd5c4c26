/**
 * A live announcement slot of a line (incident mode, C5): what every new caller hears at
 * the flow's announcement node — a staged preset (normal → outage → recovered) or a free
 * text, with its variables filled in and an optional expiry. Pure: state in, state out,
 * time as a parameter. Every change bumps the version, which a call's journey records so
 * it is known which text a caller heard.
 */
import { renderTemplate, TemplateError, type VariableName } from './template.ts';
import { resolveValues } from './values.ts';

export interface Preset {
  readonly name: string;
  /** null: the slot is empty under this preset (the flow skips it). */
  readonly text: string | null;
  /** Values used when a switch gives none (e.g. the status page URL, a time `+2h` from the switch). */
  readonly values?: Partial<Record<VariableName, string>>;
}

export interface SlotState {
  readonly slot: string;
  readonly version: number;
  /** The preset in force, or null for a free text. */
  readonly preset: string | null;
  /** The text as set (with placeholders) and the values it is rendered with. */
  readonly template: string | null;
  readonly values: Partial<Record<VariableName, string>>;
  /** What callers hear, rendered once when set: null = nothing. */
  readonly text: string | null;
  readonly setAt: number;
  readonly setBy: string;
  /** After this instant the slot reads as empty (ms since epoch). */
  readonly expiresAt: number | null;
}

export class AnnouncementError extends Error {
  override readonly name = 'AnnouncementError';
}

export function emptySlot(slot: string, nowMs: number): SlotState {
  return { slot, version: 0, preset: null, template: null, values: {}, text: null, setAt: nowMs, setBy: 'system', expiresAt: null };
}

export interface Change {
  /** A preset name, or a free text. */
  readonly preset?: string;
  readonly text?: string | null;
  readonly values?: Partial<Record<VariableName, string>>;
  readonly expiresAt?: number | null;
  readonly by: string;
  /** The line's zone, for relative and clock times in values (default UTC). */
  readonly timeZone?: string;
}

/**
 * The next state after a change. A preset must exist; the text must render with the
 * values given (a missing [時間] is refused here, not discovered by a caller); an expiry
 * must lie in the future.
 */
export function applyChange(state: SlotState, presets: readonly Preset[], change: Change, nowMs: number): SlotState {
  if ((change.preset === undefined) === (change.text === undefined)) {
    throw new AnnouncementError('give either a preset or a text');
  }
  let preset: string | null = null;
  let template: string | null;
  let defaults: Partial<Record<VariableName, string>> | undefined;
  if (change.preset !== undefined) {
    const p = presets.find((x) => x.name === change.preset);
    if (!p) throw new AnnouncementError(`no preset "${change.preset}" (have: ${presets.map((x) => x.name).join(', ') || 'none'})`);
    preset = p.name;
    template = p.text;
    defaults = p.values;
  } else {
    template = change.text ?? null;
  }
  if (template !== null && template.trim() === '') template = null;
  const values = resolveValues(defaults, change.values, nowMs, change.timeZone ?? 'UTC');
  let text: string | null = null;
  if (template !== null) {
    try {
      text = renderTemplate(template, values);
    } catch (err) {
      if (err instanceof TemplateError) throw new AnnouncementError(`${state.slot}: ${err.message}`);
      throw err;
    }
  }
  const expiresAt = change.expiresAt ?? null;
  if (expiresAt !== null && expiresAt <= nowMs) throw new AnnouncementError('the expiry lies in the past');
  return { slot: state.slot, version: state.version + 1, preset, template, values, text, setAt: nowMs, setBy: change.by, expiresAt };
}

/** What a caller arriving at `nowMs` hears: the text and the version, or null when empty or expired. */
export function heardAt(state: SlotState, nowMs: number): { text: string; version: number } | null {
  if (state.text === null) return null;
  if (state.expiresAt !== null && nowMs >= state.expiresAt) return null;
  return { text: state.text, version: state.version };
}
