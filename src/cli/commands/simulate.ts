/**
 * `surgeline simulate` (issue 5 §4, §7): rehearse a surge on a line through the node's API
 * (POST /planning/simulate): the line's published flow (or --flow), the tenant's queues and
 * routing, its agents or --agents N, under a profile — a file of counts per interval, or
 * step:10x / ramp:10x from a --base volume. Prints a table per interval and the totals, or
 * JSON; --svg writes the chart of waiting callers and service level.
 *   surgeline simulate --line E購網 --profile step:10x --base 60 --at 8 --intervals 48 --agents 40 \
 *                      --choices shares.json [--flow egou-double11] [--aht 180s] [--patience 120s] [--svg day.svg]
 */
import { timeOfDay } from '../../planning/time-of-day.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { clientFor } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson } from '../output.ts';
import { durationSeconds } from './erlang.ts';
import { simulationSvg } from '../../planning/sim/chart.ts';
import type { SimInterval, SimResult } from '../../planning/sim/simulate.ts';

function whole(option: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${option} ${value}: expected a whole number`);
  return n;
}

async function profileOf(spec: string, args: Parameters<Command['run']>[0], intervalMinutes: number): Promise<Record<string, unknown>> {
  const m = /^(step|ramp):(\d+(?:\.\d+)?)x$/.exec(spec);
  if (m) {
    const base = Number(stringOpt(args, 'base') ?? '100');
    if (!(base >= 0)) throw new UsageError(`--base ${stringOpt(args, 'base')}: calls per interval ≥ 0`);
    const step = { base, multiple: Number(m[2]), at: whole('at', stringOpt(args, 'at'), 4), intervals: whole('intervals', stringOpt(args, 'intervals'), 48), ramp: m[1] === 'ramp' ? whole('ramp', stringOpt(args, 'ramp'), 4) : 0 };
    return { intervalMinutes, step };
  }
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (err) {
    throw new UsageError(`--profile ${spec}: not step:Nx or ramp:Nx, and not a readable file (${(err as Error).message})`);
  }
  if (text.trimStart().startsWith('{')) return { intervalMinutes, ...(JSON.parse(text) as object) };
  const calls = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l, i) => {
      const v = Number(l.split(',').at(-1));
      if (!(Number.isFinite(v) && v >= 0)) throw new UsageError(`--profile ${spec}: line ${i + 1}: expected calls ≥ 0`);
      return v;
    });
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
    String(iv.callbacksCreated).padStart(9),
    pct(iv.serviceLevel).padStart(6),
    (iv.asaSeconds === null ? '-' : iv.asaSeconds.toFixed(0)).padStart(6),
    pct(iv.occupancy).padStart(6),
    String(iv.peakWaiting).padStart(8),
  ].join(' ');
}

export const simulateCommand: Command = {
  summary: 'Rehearse a surge on a line: its flow, queues and routing, agents, a profile; per interval and totals.',
  synopsis: 'simulate --line <line> --profile <file|step:10x|ramp:10x> [--base n] [--at i] [--intervals n] [--agents n] [--choices file.json] [--flow f]',
  details:
    '--choices: JSON {node: {key: share}} for every node with several ways on (menu keys, noInput, invalid, "hangup").\n' +
    'A profile file is JSON {"intervalMinutes","calls":[…]} or one count per line. --json prints the API answer; --svg writes a chart.',
  options: {
    line: { type: 'string', value: 'line', help: 'the line (name, id or number)' },
    profile: { type: 'string', value: 'p', help: 'a file of counts per interval, or step:10x / ramp:10x' },
    base: { type: 'string', value: 'n', help: 'calls per interval before the step (default 100)' },
    at: { type: 'string', value: 'i', help: 'the interval the step starts at (default 4)' },
    intervals: { type: 'string', value: 'n', help: 'intervals to simulate for step/ramp (default 48)' },
    ramp: { type: 'string', value: 'n', help: 'intervals a ramp takes to reach the multiple (default 4)' },
    interval: { type: 'string', value: 'd', help: 'interval length (default 30m)' },
    agents: { type: 'string', value: 'n', help: "agents holding every skill the queues need (default: the tenant's agents)" },
    choices: { type: 'string', value: 'file', help: "JSON shares of the flow's ways on" },
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
    const body: Record<string, unknown> = { line, profile: await profileOf(spec, args, intervalMinutes) };
    const choices = stringOpt(args, 'choices');
    if (choices !== undefined) {
      try {
        body['choices'] = JSON.parse(await readFile(choices, 'utf8')) as unknown;
      } catch (err) {
        throw new UsageError(`--choices ${choices}: ${(err as Error).message}`);
      }
    }
    const flow = stringOpt(args, 'flow');
    if (flow !== undefined) body['flow'] = flow;
    if (stringOpt(args, 'agents') !== undefined) body['agents'] = whole('agents', stringOpt(args, 'agents'), 0);
    if (stringOpt(args, 'seed') !== undefined) body['seed'] = whole('seed', stringOpt(args, 'seed'), 1);
    for (const [opt, field] of [['aht', 'ahtSeconds'], ['patience', 'patienceSeconds'], ['target', 'targetSeconds']] as const) {
      const v = stringOpt(args, opt);
      if (v !== undefined) body[field] = durationSeconds(opt, v);
    }
    const result = await clientFor(args).post<SimResult>('/planning/simulate', body);
    const svg = stringOpt(args, 'svg');
    if (svg !== undefined) await writeFile(svg, simulationSvg(result.intervals, { intervalMinutes, title: `${line}: waiting callers and service level` }));
    if (args.json) return printJson(result);
    out('time   offered deflected  queued answered abandoned callbacks   SL %  ASA s  occ %  waiting');
    result.intervals.forEach((iv, i) => {
      const m = i * intervalMinutes;
      out(row(timeOfDay(m), iv));
    });
    out(row('total', result.totals));
  },
};
