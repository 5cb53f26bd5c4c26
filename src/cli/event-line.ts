/**
 * One readable line per call event (spec B) for `surgeline calls tail`, and per journey
 * entry for `surgeline calls show`: time, call, line, what happened. Pure, so the wording
 * is tested without a server.
 */
import type { CallEvent } from '../events/bus.ts';
import type { JourneyEntry } from '../flows/interpreter.ts';
import { clockTime } from './output.ts';

/** Names the stream knows: line ids → names, flow ids → names, call ids → line ids. */
export interface EventNames {
  readonly lines: ReadonlyMap<string, string>;
  readonly flows: ReadonlyMap<string, string>;
  readonly callLines: Map<string, string | null>;
}

export function newNames(): EventNames {
  return { lines: new Map(), flows: new Map(), callLines: new Map() };
}

const MAX_TEXT = 60;

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return `"${[...flat].length > MAX_TEXT ? `${[...flat].slice(0, MAX_TEXT - 1).join('')}…` : flat}"`;
}

/** What a journey entry says, without its time. */
export function describeEntry(e: JourneyEntry): string {
  switch (e.kind) {
    case 'node':
      return `at ${e.node} (${e.type})`;
    case 'prompt': {
      const what = e.slot !== undefined ? `announcement ${e.slot} v${e.version ?? '?'}${e.text !== undefined ? ` ${quote(e.text)}` : ''}` : e.text !== undefined ? quote(e.text) : (e.audio ?? 'a prompt');
      return `played ${what}${e.result === 'done' ? '' : ` (${e.result})`}`;
    }
    case 'digit':
      return `pressed ${e.digit} at ${e.node}`;
    case 'no-input':
      return `no key pressed at ${e.node}`;
    case 'set':
      return `set ${e.name} = ${quote(e.value)}`;
    case 'http':
      return `${e.method} ${e.url} ${e.ok ? 'ok' : `failed${e.error ? `: ${e.error}` : ''}`}`;
    case 'end':
      return `flow ended: ${e.end}${e.reason ? ` (${e.reason})` : ''}`;
  }
}

function targetText(target: unknown): string {
  if (target === undefined || target === null) return '';
  if (typeof target === 'object') {
    const t = target as Record<string, unknown>;
    const parts = ['queue', 'number', 'mailbox', 'flow'].filter((k) => typeof t[k] === 'string').map((k) => `${k} ${String(t[k])}`);
    if (parts.length > 0) return ` → ${parts.join(', ')}`;
  }
  return ` → ${JSON.stringify(target)}`;
}

function lineName(names: EventNames, lineId: string | null | undefined): string {
  if (lineId === null || lineId === undefined) return '-';
  return names.lines.get(lineId) ?? shortId(lineId);
}

/** Remembers each started call's line so later events of the call show (and filter on) it. */
export function track(e: CallEvent, names: EventNames): void {
  if (e.type === 'call.started') names.callLines.set(e.callId, e.lineId);
}

/** Forgets a call once its end has been shown. */
export function untrack(e: CallEvent, names: EventNames): void {
  if (e.type === 'call.ended') names.callLines.delete(e.callId);
}

/** "HH:MM:SS  call      line  what"; `nowMs` stamps events that carry no time. */
export function describeEvent(e: CallEvent, names: EventNames, nowMs: number): string {
  const row = (at: number, call: string, line: string, what: string): string => `${clockTime(at)}  ${call.padEnd(8)}  ${line}  ${what}`;
  switch (e.type) {
    case 'call.started': {
      const flow = e.flow ? ` flow ${names.flows.get(e.flow.id) ?? shortId(e.flow.id)} v${e.flow.version}` : ' (no flow)';
      return row(e.at, shortId(e.callId), lineName(names, e.lineId), `call from ${e.caller} to ${e.dialled}${flow}`);
    }
    case 'call.journey':
      return row(e.entry.at, shortId(e.callId), lineName(names, names.callLines.get(e.callId)), describeEntry(e.entry));
    case 'call.ended':
      return row(e.at, shortId(e.callId), lineName(names, names.callLines.get(e.callId)), `ended: ${e.outcome}${targetText(e.target)}`);
    case 'announcement.changed':
      return row(nowMs, '-', lineName(names, e.lineId), `announcement ${e.slot} v${e.version}: ${e.text === null ? '(empty)' : quote(e.text)}`);
    case 'flow.published':
      return row(nowMs, '-', '-', `flow ${e.name} v${e.version} published`);
    case 'agent.state':
      return row(e.at, '-', '-', `agent ${e.extension}: ${e.state}${e.reason ? ` (${e.reason})` : ''}`);
    case 'queue.changed':
      return row(nowMs, '-', '-', `queue ${e.queue} ${e.action}`);
    case 'queue.tier':
      return row(e.at, '-', '-', `queue ${e.queue}: tier ${e.level}${e.name ? ` ${e.name}` : ' (normal)'}`);
    case 'callback.changed':
      return row(e.at, '-', lineName(names, e.lineId), `callback ${shortId(e.callbackId)} ${e.state} (${e.kind}${e.queue ? `, queue ${e.queue}` : ''})`);
  }
}

/** Whether an event belongs to a line (for --line); calls are followed from their start. */
export function onLine(e: CallEvent, lineId: string, names: EventNames): boolean {
  switch (e.type) {
    case 'call.started':
      return e.lineId === lineId;
    case 'call.journey':
    case 'call.ended':
      return names.callLines.get(e.callId) === lineId;
    case 'announcement.changed':
      return e.lineId === lineId;
    case 'callback.changed':
      return e.lineId === lineId;
    case 'flow.published':
    case 'agent.state':
    case 'queue.changed':
    case 'queue.tier':
      return false;
  }
}
