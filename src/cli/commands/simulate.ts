/**
 * `surgeline simulate` (issue 5 §4, §7): rehearse a surge on a line through the node's API
 * (POST /planning/simulate): the line's published flow (or --flow), the tenant's queues and
 * routing, its agents or --agents N, under a profile — a file of counts per interval,
 * step:10x / ramp:10x from a --base volume, or replay:<from>..<to> of the line's recorded calls
 * (--scale 1.5). Menu shares are given (--choices) or observed in past calls (--observed
 * <from>..<to>). Prints a table per interval and the totals, or JSON; --svg writes the chart.
 *   surgeline simulate --line E購網 --profile step:10x --base 60 --at 8 --intervals 48 --agents 40 \
 *                      --choices shares.json [--flow egou-double11] [--aht 180s] [--patience 120s] [--svg day.svg]
 *   surgeline simulate --line E購網 --profile replay:2025-11-11T00:00+08:00..2025-11-12T00:00+08:00 --scale 1.5 \
 *                      --observed 2026-10-01T00:00+08:00..2026-11-01T00:00+08:00 --agents 60
 */
import { timeOfDay } from '../../planning/time-of-day.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { clientFor } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson } from '../output.ts';
import { durationSeconds, jsonFile, numberValue, zonedTime } from '../option-values.ts';
import { simulationSvg } from '../../planning/sim/chart.ts';
import { parseProfileText } from '../../planning/sim/profile-file.ts';
import { forecastIntervalMinutes, minutesOfDay } from '../../planning/staffing-plan.ts';
import { PlanningInputError } from '../../planning/input-error.ts';
import type { SimInterval, SimResult } from '../../planning/sim/simulate.ts';

const whole = (option: string, args: Parameters<Command['run']>[0], fallback: number): number => numberValue(option, stringOpt(args, option), { integer: true, min: 0 }) ?? fallback;

/** "<from>..<to>": two ISO 8601 instants with their zone. */
function period(option: string, value: string): { since: string; until: string } {
  const [since, until, more] = value.split('..');
  if (until === undefined || more !== undefined) throw new UsageError(`--${option} ${value}: expected <from>..<to>, each an ISO time with its zone`);
  return { since: zonedTime(option, since, value), until: zonedTime(option, until, value) };
}

/** Agents on duty per interval from a file: a JSON array, or a staffing plan's JSON (its shifts' coverage when it has one). */
async function onDutyOf(file: string): Promise<number[]> {
  const doc = await jsonFile('staffing', file);
  // A plan's heads include shrinkage (breaks, training): on the phones are heads × (1 − shrinkage).
  const plan = doc as { shrinkage?: unknown; shifts?: { scheduled?: unknown }; intervals?: { agents?: unknown }[] } | null;
  const onPhones = 1 - (typeof plan?.shrinkage === 'number' ? plan.shrinkage : 0);
  const counts = Array.isArray(doc)
    ? doc
    : Array.isArray(plan?.shifts?.scheduled)
      ? plan.shifts.scheduled.map((n) => (typeof n === 'number' ? Math.floor(n * onPhones + 1e-9) : n))
      : Array.isArray(plan?.intervals)
        ? plan.intervals.map((iv) => iv?.agents)
        : undefined;
  if (!counts || !counts.every((n) => Number.isInteger(n) && (n as number) >= 0)) {
    throw new UsageError(`--staffing ${file}: expected agents per interval, [n, …], or the JSON of \`surgeline staff --forecast … --json\``);
  }
  return counts as number[];
}

/**
 * A forecast as the profile (the JSON of `surgeline forecast --json` or POST /planning/forecast):
 * its calls per interval, and its handle time per interval as the run's AHT. The interval is
 * the forecast's own (from its first two times).
 */
function forecastProfile(spec: string, intervals: unknown[], fallbackMinutes: number): Record<string, unknown> {
  const rows = intervals.map((iv, i) => {
    const { day, time, calls, ahtSeconds, start } = (iv ?? {}) as Record<string, unknown>;
    if (typeof calls !== 'number' || typeof ahtSeconds !== 'number') throw new UsageError(`--profile ${spec}: intervals[${i}] needs calls and ahtSeconds (a forecast's intervals)`);
    const startMs = typeof start === 'number' ? start : typeof start === 'string' ? Date.parse(start) : NaN;
    return { day: typeof day === 'string' ? day : undefined, time: typeof time === 'string' ? time : undefined, calls, ahtSeconds, startMs };
  });
  const first = minutesOfDay(rows[0]?.time) ?? 0;
  const intervalMinutes = forecastIntervalMinutes(rows) ?? fallbackMinutes;
  const startsAt = Number.isFinite(rows[0]?.startMs) ? new Date(rows[0]!.startMs).toISOString() : undefined;
  return { intervalMinutes, calls: rows.map((r) => r.calls), ahtByInterval: rows.map((r) => (r.ahtSeconds > 0 ? r.ahtSeconds : 180)), startMinute: first, startsAt };
}

async function profileOf(spec: string, args: Parameters<Command['run']>[0], intervalMinutes: number): Promise<Record<string, unknown>> {
  const m = /^(step|ramp):(\d+(?:\.\d+)?)x$/.exec(spec);
  if (m) {
    const base = numberValue('base', stringOpt(args, 'base'), { min: 0 }) ?? 100;
    const step = { base, multiple: Number(m[2]), at: whole('at', args, 4), intervals: whole('intervals', args, 48), ramp: m[1] === 'ramp' ? whole('ramp', args, 4) : 0 };
    return { intervalMinutes, step };
  }
  if (spec.startsWith('replay:')) {
    const scale = numberValue('scale', stringOpt(args, 'scale'), { min: 0, max: 1000 }) ?? 1;
    return { intervalMinutes, replay: { ...period('profile', spec.slice('replay:'.length)), scale } };
  }
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (err) {
    throw new UsageError(`--profile ${spec}: not step:Nx, ramp:Nx or replay:<from>..<to>, and not a readable file (${(err as Error).message})`);
  }
  if (text.trimStart().startsWith('{')) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--profile ${spec}: ${(err as Error).message}`);
    }
    return Array.isArray(doc['intervals']) ? forecastProfile(spec, doc['intervals'] as unknown[], intervalMinutes) : { intervalMinutes, ...doc };
  }
  let calls: number[];
  try {
    calls = parseProfileText(text, intervalMinutes);
  } catch (err) {
    if (err instanceof PlanningInputError) throw new UsageError(`--profile ${spec}: ${err.message}`);
    throw err;
  }
  return { intervalMinutes, calls };
}

const pct = (x: number | null): string => (x === null ? '-' : (100 * x).toFixed(1));

function row(label: string, iv: Omit<SimInterval, 'waitingAtEnd'>): string {
  return [
    label.padEnd(6),
    String(iv.offered).padStart(7),
    String(iv.deflected).padStart(9),
    String(iv.queued).padStart(7),
    String(iv.answered).padStart(8),
    String(iv.abandoned).padStart(9),
    String(iv.voicemails).padStart(9),
    String(iv.callbacksCreated).padStart(9),
    String(iv.callbacksCompleted).padStart(7),
    String(iv.callbackBacklog).padStart(7),
    pct(iv.serviceLevel).padStart(6),
    (iv.asaSeconds === null ? '-' : iv.asaSeconds.toFixed(0)).padStart(6),
    pct(iv.occupancy).padStart(6),
    String(iv.peakWaiting).padStart(8),
  ].join(' ');
}

export const simulateCommand: Command = {
  summary: 'Rehearse a surge on a line: its flow, queues and routing, agents, a profile; per interval and totals.',
  synopsis:
    'simulate --line <line> --profile <file|step:10x|ramp:10x|replay:<from>..<to>> [--base n] [--at i] [--intervals n] [--scale x] [--agents n | --staffing file] [--choices file.json] [--observed <from>..<to>] [--flow f]',
  details:
    '--choices: JSON {node: {key: share}} for every node with several ways on (menu keys, noInput, invalid, "hangup"); with --observed, ' +
    "the shares the line's calls in that period show, --choices winning node by node. --flow-choices: JSON {flow: {node: {key: share}}} for flows a goto reaches.\n" +
    'A profile file is a forecast\'s JSON (`surgeline forecast --json`: its calls and AHT per interval), JSON {"intervalMinutes","calls":[…]}, one count per line, or start,calls lines; replay:<from>..<to> replays the line\'s recorded calls (times with their zone). ' +
    '--json prints the API answer; --svg writes a chart.',
  options: {
    line: { type: 'string', value: 'line', help: 'the line (name, id or number)' },
    profile: { type: 'string', value: 'p', help: 'a file of counts per interval, or step:10x / ramp:10x' },
    base: { type: 'string', value: 'n', help: 'calls per interval before the step (default 100)' },
    at: { type: 'string', value: 'i', help: 'the interval the step starts at (default 4)' },
    intervals: { type: 'string', value: 'n', help: 'intervals to simulate for step/ramp (default 48)' },
    ramp: { type: 'string', value: 'n', help: 'intervals a ramp takes to reach the multiple (default 4)' },
    interval: { type: 'string', value: 'd', help: 'interval length (default 30m)' },
    agents: { type: 'string', value: 'n', help: "agents holding every skill the queues need (default: the tenant's agents)" },
    staffing: { type: 'string', value: 'file', help: 'agents on the phones per interval: a JSON array, or the JSON of `surgeline staff --forecast … [--shifts] --json` (its shifts less shrinkage)' },
    scale: { type: 'string', value: 'x', help: 'replay each recorded call this many times (default 1; 1.5: half of them twice)' },
    choices: { type: 'string', value: 'file', help: "JSON shares of the flow's ways on" },
    'flow-choices': { type: 'string', value: 'file', help: 'JSON shares of the nodes of flows a goto reaches, by flow' },
    observed: { type: 'string', value: 'from..to', help: "learn the shares and the time in the IVR from the line's calls in this period" },
    ivr: { type: 'string', value: 'd', help: 'time callers spend in the IVR where none was observed (default 0s)' },
    'callback-reach': { type: 'string', value: 'share', help: 'share of callback attempts the customer answers (default 1)' },
    'callback-accept': { type: 'string', value: 'share', help: "share of callers still waiting at their queue's callback offer who take it (default 0)" },
    starts: { type: 'string', value: 'time', help: "when the profile's first interval starts (ISO 8601 with its zone): callbacks then keep to their queue's calling windows; a forecast or replay profile gives it itself" },
    flow: { type: 'string', value: 'f', help: "run this flow instead of the line's published one" },
    aht: { type: 'string', value: 'd', help: 'mean handle time (default 180s)' },
    patience: { type: 'string', value: 'd', help: "callers' mean patience (default: nobody abandons)" },
    target: { type: 'string', value: 'd', help: 'service-level answer target (default 30s)' },
    seed: { type: 'string', value: 'n', help: 'random seed (default 1)' },
    svg: { type: 'string', value: 'file', help: 'write the chart of waiting callers and service level here' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const line = stringOpt(args, 'line');
    const spec = stringOpt(args, 'profile');
    if (line === undefined || spec === undefined) throw new UsageError('--line and --profile are required');
    const intervalMinutes = durationSeconds('interval', stringOpt(args, 'interval') ?? '30m') / 60;
    const profile = await profileOf(spec, args, intervalMinutes);
    const { ahtByInterval, startMinute, startsAt, ...profileBody } = profile;
    const stepMinutes = Number(profileBody['intervalMinutes'] ?? intervalMinutes);
    const body: Record<string, unknown> = { line, profile: profileBody };
    if (ahtByInterval !== undefined) body['ahtSeconds'] = ahtByInterval; // --aht below wins
    const starts = stringOpt(args, 'starts');
    if (starts !== undefined) body['startsAt'] = zonedTime('starts', starts);
    else if (startsAt !== undefined) body['startsAt'] = startsAt;
    for (const [opt, field] of [['choices', 'choices'], ['flow-choices', 'flowChoices']] as const) {
      const file = stringOpt(args, opt);
      if (file !== undefined) body[field] = await jsonFile(opt, file);
    }
    const observed = stringOpt(args, 'observed');
    if (observed !== undefined) body['observed'] = period('observed', observed);
    for (const [opt, field] of [['callback-reach', 'callbackReach'], ['callback-accept', 'callbackAcceptance']] as const) {
      const share = numberValue(opt, stringOpt(args, opt), { min: 0, max: 1 });
      if (share !== undefined) body[field] = share;
    }
    const flow = stringOpt(args, 'flow');
    if (flow !== undefined) body['flow'] = flow;
    const agents = numberValue('agents', stringOpt(args, 'agents'), { integer: true, min: 1 });
    if (agents !== undefined) body['agents'] = agents;
    const staffing = stringOpt(args, 'staffing');
    if (staffing !== undefined) {
      if (agents !== undefined) throw new UsageError('--agents or --staffing, not both');
      body['agents'] = await onDutyOf(staffing);
    }
    const seed = numberValue('seed', stringOpt(args, 'seed'), { integer: true });
    if (seed !== undefined) body['seed'] = seed;
    for (const [opt, field] of [['aht', 'ahtSeconds'], ['patience', 'patienceSeconds'], ['target', 'targetSeconds'], ['ivr', 'ivrSeconds']] as const) {
      const v = stringOpt(args, opt);
      if (v !== undefined) body[field] = durationSeconds(opt, v);
    }
    const result = await clientFor(args).post<SimResult>('/planning/simulate', body);
    // A replay's intervals start at its first instant: label them with its time of day (in the zone it was written in).
    const replayStart = spec.startsWith('replay:') ? /T(\d\d):(\d\d)/.exec(spec) : null;
    const firstMinute = replayStart ? Number(replayStart[1]) * 60 + Number(replayStart[2]) : Number(startMinute ?? 0);
    const svg = stringOpt(args, 'svg');
    if (svg !== undefined) await writeFile(svg, simulationSvg(result.intervals, { intervalMinutes: stepMinutes, title: `${line}: waiting callers and service level` }));
    if (args.json) return printJson(result);
    out('time   offered deflected  queued answered abandoned voicemail callbacks cb done backlog   SL %  ASA s  occ %  waiting');
    result.intervals.forEach((iv, i) => {
      const m = (firstMinute + i * stepMinutes) % 1440;
      out(row(timeOfDay(m), iv));
    });
    out(row('total', result.totals));
  },
};
