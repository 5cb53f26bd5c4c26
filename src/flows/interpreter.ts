import type { Clock } from '../clock.ts';
import type { Schedule } from '../schedules/schedule.ts';
import { isOpen } from '../schedules/evaluate.ts';
import type { Prompt } from './common.ts';
import type { Flow, FlowNode } from './schema.ts';
import type { CollectNode } from './nodes/collect.ts';
import type { HttpNode } from './nodes/http.ts';
import type { MenuNode } from './nodes/menu.ts';
import { REOPENS, reopensValue } from './nodes/schedule.ts';

/**
 * Runs a validated flow against one call. The interpreter never keeps time itself: every
 * wait is a port.nextDigit timeout, an http lookup, or a timer on the injected clock, so a
 * ManualClock drives a whole call deterministically. Each node behaves as its file in
 * src/flows/nodes/ documents; the journey records what the caller went through, for the
 * call record.
 */

/** What the interpreter drives: a live call, or a script in tests. */
export interface CallPort {
  /** 'interrupted': a key stopped a barge-in prompt (the key stays readable by nextDigit). */
  play(prompt: { text?: string; audio?: string; voice?: string }, opts: { bargeIn: boolean }): Promise<'done' | 'interrupted' | 'stopped'>;
  /** The next key (type-ahead included), or undefined after timeoutMs of silence. */
  nextDigit(timeoutMs: number): Promise<string | undefined>;
  /** Drop type-ahead, so a replayed prompt is not answered by keys pressed before it. */
  clearDigits(): void;
  hangup(): Promise<void>;
  /** Aborts when the caller hangs up. */
  readonly signal: AbortSignal;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: Record<string, string> | undefined;
  timeoutMs: number;
}

export interface FlowContext {
  clock: Clock;
  caller: Record<string, string>;
  call: Record<string, string>;
  line: Record<string, string>;
  announcements?: (slot: string) => { text: string; version: number } | null;
  schedules?: (name: string) => Schedule | undefined;
  /** Resolves with the parsed JSON of a 2xx answer; rejects on anything else. */
  http?: (req: HttpRequest) => Promise<unknown>;
  /** Nodes entered before the run is stopped as an error (a data-driven loop that never exits). */
  maxSteps?: number;
  /** The array the journey is recorded into (the runtime reads it while the call runs); default a new one. */
  journey?: JourneyEntry[];
}

export type FlowTarget =
  | { kind: 'queue'; queue: string; skills?: string[]; priority?: number }
  | { kind: 'transfer'; to: string; callerId?: string }
  | { kind: 'voicemail'; mailbox: string; maxSeconds: number; queue?: string }
  | { kind: 'callback'; queue: string; slots: number; slotMinutes: number; leadMinutes: number; timeoutSeconds: number; retries: number }
  | { kind: 'goto'; flow: string; node?: string };

export type FlowEnd = 'hangup' | 'caller-hangup' | 'transfer' | 'queue' | 'voicemail' | 'callback' | 'goto' | 'error';

export type JourneyEntry =
  | { kind: 'node'; at: number; node: string; type: FlowNode['type'] }
  | { kind: 'prompt'; at: number; node: string; text?: string; audio?: string; slot?: string; version?: number; result: 'done' | 'interrupted' | 'stopped' }
  | { kind: 'digit'; at: number; node: string; digit: string }
  | { kind: 'no-input'; at: number; node: string }
  | { kind: 'set'; at: number; node: string; name: string; value: string }
  | { kind: 'http'; at: number; node: string; method: string; url: string; ok: boolean; error?: string }
  | { kind: 'end'; at: number; node?: string; end: FlowEnd; reason?: string };

export interface FlowOutcome {
  end: FlowEnd;
  target?: FlowTarget;
  /** Why an 'error' or 'hangup' ended the run, when known. */
  reason?: string;
  /** Variables the flow set (flat dotted names); the runtime's caller./call./line. are not copied. */
  variables: Record<string, string>;
  journey: JourneyEntry[];
}

/** Thrown through any wait when the caller hangs up; caught once in runFlow. */
class CallerHangup extends Error {}

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;

class Run {
  readonly vars = new Map<string, string>();
  readonly journey: JourneyEntry[];

  constructor(
    readonly flow: Flow,
    readonly port: CallPort,
    readonly ctx: FlowContext,
  ) {
    this.journey = ctx.journey ?? [];
  }

  at(): number {
    return this.ctx.clock.wallNow();
  }

  lookup(name: string): string | undefined {
    const dot = name.indexOf('.');
    if (dot > 0) {
      const ns = name.slice(0, dot);
      const rest = name.slice(dot + 1);
      const source = ns === 'caller' ? this.ctx.caller : ns === 'call' ? this.ctx.call : ns === 'line' ? this.ctx.line : undefined;
      if (source !== undefined) return Object.hasOwn(source, rest) ? source[rest] : undefined;
    }
    return this.vars.get(name);
  }

  /** An unset variable reads as empty: validation already warned about it. */
  render(text: string): string {
    return text.replace(TEMPLATE, (_m, name: string) => this.lookup(name) ?? '');
  }

  /** Races a wait with the caller hanging up, so no node outlives the call. */
  guard<T>(p: Promise<T>): Promise<T> {
    const signal = this.port.signal;
    if (signal.aborted) return Promise.reject(new CallerHangup());
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new CallerHangup());
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  async play(node: string, p: Prompt, bargeIn: boolean, extra: { slot?: string; version?: number } = {}): Promise<void> {
    const out: { text?: string; audio?: string; voice?: string } = {};
    if (p.text !== undefined) out.text = this.render(p.text);
    if (p.audio !== undefined) out.audio = p.audio;
    if (p.voice !== undefined) out.voice = p.voice;
    const at = this.at();
    const record = (result: 'done' | 'interrupted' | 'stopped'): void => {
      const entry: JourneyEntry = { kind: 'prompt', at, node, result, ...extra };
      if (out.text !== undefined) entry.text = out.text;
      if (out.audio !== undefined) entry.audio = out.audio;
      this.journey.push(entry);
    };
    let result: 'done' | 'interrupted' | 'stopped';
    try {
      result = await this.guard(this.port.play(out, { bargeIn }));
    } catch (err) {
      // The caller hung up while it played: it was still heard in part, and which
      // announcement version it was matters for the record.
      if (err instanceof CallerHangup) record('stopped');
      throw err;
    }
    record(result);
  }

  async digit(node: string, timeoutMs: number): Promise<string | undefined> {
    const d = await this.guard(this.port.nextDigit(timeoutMs));
    this.journey.push(d === undefined ? { kind: 'no-input', at: this.at(), node } : { kind: 'digit', at: this.at(), node, digit: d });
    return d;
  }

  assign(node: string, name: string, value: string): void {
    this.vars.set(name, value);
    this.journey.push({ kind: 'set', at: this.at(), node, name, value });
  }
}

/** Where a step leads: another node, or the end of the run. */
type Step = { next: string } | { end: FlowEnd; target?: FlowTarget; reason?: string };

export async function runFlow(flow: Flow, port: CallPort, ctx: FlowContext): Promise<FlowOutcome> {
  const run = new Run(flow, port, ctx);
  const maxSteps = ctx.maxSteps ?? 1000;
  let id = flow.start;
  let steps = 0;
  let result: { end: FlowEnd; target?: FlowTarget; reason?: string; node?: string };
  try {
    for (;;) {
      if (port.signal.aborted) throw new CallerHangup();
      if (++steps > maxSteps) {
        result = { end: 'error', reason: `more than ${maxSteps} steps`, node: id };
        break;
      }
      const node = Object.hasOwn(flow.nodes, id) ? flow.nodes[id] : undefined;
      if (node === undefined) {
        result = { end: 'error', reason: `no node "${id}"`, node: id };
        break;
      }
      run.journey.push({ kind: 'node', at: run.at(), node: id, type: node.type });
      const step = await execute(run, id, node);
      if ('next' in step) {
        id = step.next;
        continue;
      }
      result = { ...step, node: id };
      if (step.end === 'hangup') await run.guard(port.hangup());
      break;
    }
  } catch (err) {
    if (!(err instanceof CallerHangup)) throw err;
    result = { end: 'caller-hangup', node: id };
  }
  const endEntry: JourneyEntry = { kind: 'end', at: run.at(), end: result.end };
  if (result.node !== undefined) endEntry.node = result.node;
  if (result.reason !== undefined) endEntry.reason = result.reason;
  run.journey.push(endEntry);
  const outcome: FlowOutcome = { end: result.end, variables: Object.fromEntries(run.vars), journey: run.journey };
  if (result.target !== undefined) outcome.target = result.target;
  if (result.reason !== undefined) outcome.reason = result.reason;
  return outcome;
}

async function execute(run: Run, id: string, node: FlowNode): Promise<Step> {
  switch (node.type) {
    case 'say':
      await run.play(id, node.prompt, node.bargeIn);
      return { next: node.next };
    case 'menu':
      return menu(run, id, node);
    case 'collect':
      return collect(run, id, node);
    case 'branch': {
      const value = node.on === 'caller' ? (Object.hasOwn(run.ctx.caller, node.name) ? run.ctx.caller[node.name] : undefined) : run.lookup(node.name);
      if (value !== undefined) {
        for (const c of node.cases) {
          const hit =
            c.equals !== undefined
              ? Array.isArray(c.equals)
                ? c.equals.includes(value)
                : c.equals === value
              : c.matches !== undefined && new RegExp(c.matches).test(value);
          if (hit) return { next: c.next };
        }
      }
      return { next: node.default };
    }
    case 'schedule': {
      const schedule = run.ctx.schedules?.(node.schedule);
      if (schedule === undefined) return { end: 'error', reason: `no schedule "${node.schedule}"` };
      const now = run.ctx.clock.wallNow();
      const state = isOpen(schedule, now);
      if (state.open) return { next: node.open };
      run.assign(id, REOPENS, reopensValue(schedule, now));
      return { next: state.reason === 'holiday' ? (node.holiday ?? node.closed) : node.closed };
    }
    case 'set': {
      // All values are rendered before any is assigned, as the node documents.
      const values = Object.entries(node.variables).map(([name, t]) => [name, run.render(t)] as const);
      for (const [name, value] of values) run.assign(id, name, value);
      return { next: node.next };
    }
    case 'http':
      return http(run, id, node);
    case 'announcement': {
      const heard = run.ctx.announcements?.(node.slot) ?? null;
      if (heard !== null) await run.play(id, { text: heard.text }, node.bargeIn, { slot: node.slot, version: heard.version });
      return { next: node.next };
    }
    case 'transfer': {
      const target: FlowTarget = { kind: 'transfer', to: run.render(node.to) };
      if (node.callerId !== undefined) target.callerId = node.callerId;
      return { end: 'transfer', target };
    }
    case 'queue': {
      const target: FlowTarget = { kind: 'queue', queue: node.queue };
      if (node.skills !== undefined) target.skills = [...node.skills];
      if (node.priority !== undefined) target.priority = node.priority;
      return { end: 'queue', target };
    }
    case 'voicemail':
      if (node.prompt !== undefined) await run.play(id, node.prompt, false);
      return { end: 'voicemail', target: { kind: 'voicemail', mailbox: node.mailbox, maxSeconds: node.maxSeconds, ...(node.queue !== undefined ? { queue: node.queue } : {}) } };
    case 'callback': {
      if (node.prompt !== undefined) await run.play(id, node.prompt, false);
      const { queue, slots, slotMinutes, leadMinutes, timeoutSeconds, retries } = node;
      return { end: 'callback', target: { kind: 'callback', queue, slots, slotMinutes, leadMinutes, timeoutSeconds, retries } };
    }
    case 'goto': {
      const target: FlowTarget = { kind: 'goto', flow: node.flow };
      if (node.node !== undefined) target.node = node.node;
      return { end: 'goto', target };
    }
    case 'hangup':
      return node.reason === undefined ? { end: 'hangup' } : { end: 'hangup', reason: node.reason };
  }
}

/** After the retries: the node's target, or hang up when it has none. */
function exhausted(target: string | undefined, why: 'no input' | 'invalid input'): Step {
  return target !== undefined ? { next: target } : { end: 'hangup', reason: why };
}

async function menu(run: Run, id: string, node: MenuNode): Promise<Step> {
  let failures = 0;
  let replay = false;
  for (;;) {
    // Keys pressed before a replay answered the old prompt, not this one.
    if (replay) run.port.clearDigits();
    replay = true;
    await run.play(id, node.prompt, node.bargeIn);
    const key = await run.digit(id, node.timeoutMs);
    if (key === '*') continue;
    if (key !== undefined && Object.hasOwn(node.options, key)) return { next: node.options[key]! };
    failures++;
    if (failures > node.retries) return exhausted(key === undefined ? node.noInput : node.invalid, key === undefined ? 'no input' : 'invalid input');
    if (key !== undefined && node.invalidPrompt !== undefined) await run.play(id, node.invalidPrompt, false);
  }
}

async function collect(run: Run, id: string, node: CollectNode): Promise<Step> {
  let failures = 0;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) run.port.clearDigits();
    await run.play(id, node.prompt, node.bargeIn);
    let digits = '';
    let pressed = false;
    let bad = false;
    while (digits.length < node.maxLength) {
      const key = await run.digit(id, pressed ? node.interDigitTimeoutMs : node.timeoutMs);
      if (key === undefined) break;
      pressed = true;
      if (key === node.terminator) break;
      // A key that is neither a digit nor the terminator cannot belong to the number.
      if (!/^[0-9]$/.test(key)) {
        bad = true;
        break;
      }
      digits += key;
    }
    if (!bad && pressed && digits.length >= node.minLength) {
      run.assign(id, node.variable, digits);
      return { next: node.next };
    }
    failures++;
    if (failures > node.retries) return exhausted(pressed ? node.invalid : node.noInput, pressed ? 'invalid input' : 'no input');
  }
}

/** Follows a dotted path ("order.status") through parsed JSON; only own keys count. */
function pick(value: unknown, path: string): string | undefined {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === 'string') return current;
  if (typeof current === 'number' || typeof current === 'boolean') return String(current);
  return undefined;
}

async function http(run: Run, id: string, node: HttpNode): Promise<Step> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.headers ?? {})) headers[k] = run.render(v);
  let body: Record<string, string> | undefined;
  if (node.body !== undefined) {
    body = {};
    for (const [k, v] of Object.entries(node.body)) body[k] = run.render(v);
  }
  const req: HttpRequest = { method: node.method, url: run.render(node.url), headers, body, timeoutMs: node.timeoutMs };
  const fail = (error: string): Step => {
    run.journey.push({ kind: 'http', at: run.at(), node: id, method: req.method, url: req.url, ok: false, error });
    return { next: node.onError };
  };
  if (run.ctx.http === undefined) return fail('no http client');
  const clock = run.ctx.clock;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  // The timeout is also kept here, so a client that ignores timeoutMs cannot hold the call.
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = clock.setTimeout(() => reject(new Error(`timed out after ${node.timeoutMs} ms`)), node.timeoutMs);
  });
  let answer: unknown;
  try {
    answer = await run.guard(Promise.race([run.ctx.http(req), timeout]));
  } catch (err) {
    if (err instanceof CallerHangup) throw err;
    return fail(err instanceof Error ? err.message : String(err));
  } finally {
    clock.clearTimeout(timer);
  }
  // A missing or non-scalar path means the answer is not what the flow expects: speaking
  // an empty status would mislead the caller, so it counts as an error.
  const values: Array<[string, string]> = [];
  for (const [name, path] of Object.entries(node.assign)) {
    const v = pick(answer, path);
    if (v === undefined) return fail(`no value at "${path}"`);
    values.push([name, v]);
  }
  run.journey.push({ kind: 'http', at: run.at(), node: id, method: req.method, url: req.url, ok: true });
  for (const [name, value] of values) run.assign(id, name, value);
  return { next: node.onSuccess };
}
