/**
 * `surgeline erlang` and `surgeline staff` (issue 5; the product contract): Erlang C, or
 * Erlang A with --patience, for one interval, computed here without a server.
 *   surgeline erlang --arrivals N --interval 30m --aht 180s --agents K --target 20s [--patience 180s] --json
 *     → { "pWait", "asa", "serviceLevel", "occupancy" [, "pAbandon"] }   (asa in seconds)
 *   surgeline staff --arrivals N --interval 30m --aht 180s --sl 0.8 --target 20s [--patience 180s] [--shrinkage 0.3] --json
 *     → { "agents", "scheduled", "pWait", "asa", "serviceLevel", "occupancy" [, "pAbandon"] }
 *   surgeline staff --forecast forecast.json --sl 0.8 --target 20s [--shifts]: every interval of a forecast (staff-forecast.ts)
 * Durations take s, m or h (a bare number is seconds).
 */
import { agentsFor, erlangA, ErlangInputError, type ErlangResult } from '../../planning/erlang.ts';
import { stringOpt, type Command, type ParsedArgs } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson } from '../output.ts';
import { durationSeconds, numberValue } from '../option-values.ts';
import { staffFromForecast } from './staff-forecast.ts';

const COMMON = {
  arrivals: { type: 'string', value: 'N', help: 'calls offered in the interval' },
  interval: { type: 'string', value: 'd', help: 'the interval, e.g. 30m (default 30m)' },
  aht: { type: 'string', value: 'd', help: 'average handle time, e.g. 180s' },
  target: { type: 'string', value: 'd', help: 'answer-time target of the service level, e.g. 20s' },
  patience: { type: 'string', value: 'd', help: "callers' mean patience: Erlang A with abandonment" },
  json: { type: 'boolean', help: 'machine output: JSON' },
} as const;

function load(args: ParsedArgs): { arrivalRate: number; ahtSeconds: number; targetSeconds: number; patienceSeconds?: number } {
  const arrivals = numberValue('arrivals', stringOpt(args, 'arrivals'), { min: 0, required: true })!;
  const interval = durationSeconds('interval', stringOpt(args, 'interval') ?? '30m');
  if (arrivals <= 0 || interval <= 0) throw new UsageError('--arrivals and --interval must be more than zero');
  const patience = stringOpt(args, 'patience');
  return {
    arrivalRate: arrivals / interval,
    ahtSeconds: durationSeconds('aht', stringOpt(args, 'aht')),
    targetSeconds: durationSeconds('target', stringOpt(args, 'target') ?? '20s'),
    ...(patience !== undefined ? { patienceSeconds: durationSeconds('patience', patience) } : {}),
  };
}

/** The contract's keys, rounded for reading (JSON keeps full precision). */
function view(r: ErlangResult): Record<string, number> {
  return { pWait: r.pWait, asa: r.asa, serviceLevel: r.serviceLevel, occupancy: r.occupancy, ...(r.pAbandon !== undefined ? { pAbandon: r.pAbandon } : {}) };
}

function print(r: ErlangResult): void {
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  out(`P(wait)        ${pct(r.pWait)}`);
  out(`ASA            ${r.asa.toFixed(1)} s`);
  out(`service level  ${pct(r.serviceLevel)}`);
  out(`occupancy      ${pct(r.occupancy)}`);
  if (r.pAbandon !== undefined) out(`abandon        ${pct(r.pAbandon)}`);
}

function inputError(err: unknown): never {
  if (err instanceof ErlangInputError) throw new UsageError(err.message);
  throw err;
}

export const erlangCommand: Command = {
  summary: 'Erlang C (or A with --patience): wait, ASA, service level and occupancy of an interval.',
  synopsis: 'erlang --arrivals N --interval 30m --aht 180s --agents K --target 20s [--patience 180s]',
  details: 'Computed locally. --json prints {"pWait","asa","serviceLevel","occupancy"} (+ "pAbandon" with --patience); asa in seconds.\nExample: surgeline erlang --arrivals 360 --interval 30m --aht 180s --agents 40 --target 20s --json',
  options: { ...COMMON, agents: { type: 'string', value: 'K', help: 'agents on the queue' } },
  positionals: [],
  api: false,
  async run(args) {
    const agents = numberValue('agents', stringOpt(args, 'agents'), { integer: true, min: 1, required: true })!;
    let r: ErlangResult;
    try {
      r = erlangA({ ...load(args), agents });
    } catch (err) {
      inputError(err);
    }
    if (args.json) return printJson(view(r));
    print(r);
  },
};

export const staffCommand: Command = {
  summary: 'Agents needed for a service level (Erlang C, or A with --patience), with shrinkage.',
  synopsis: 'staff (--arrivals N --aht 180s | --forecast forecast.json [--shifts]) --interval 30m --sl 0.8 --target 20s [--patience 180s] [--shrinkage 0.3]',
  details:
    'The fewest agents answering --sl of the calls within --target. "scheduled" adds shrinkage (breaks, training): ceil(agents / (1 − shrinkage)).\n--json prints {"agents","scheduled","pWait","asa","serviceLevel","occupancy"} (+ "pAbandon").\nExample: surgeline staff --arrivals 360 --interval 30m --aht 180s --sl 0.8 --target 20s --json',
  options: {
    ...COMMON,
    sl: { type: 'string', value: 'x', help: 'the service level to reach, 0–1 (e.g. 0.8)' },
    shrinkage: { type: 'string', value: 'x', help: 'share of paid time not on the phones, 0–0.9 (default 0)' },
    forecast: { type: 'string', value: 'file', help: 'staff every interval of this forecast (the JSON of `surgeline forecast --json`)' },
    shifts: { type: 'boolean', help: "with --forecast: the seeds' morning/evening/night shift plan covering it with the fewest agent-hours" },
  },
  positionals: [],
  api: false,
  async run(args) {
    const sl = numberValue('sl', stringOpt(args, 'sl'), { min: 0.01, max: 0.999, required: true })!;
    const shrinkage = numberValue('shrinkage', stringOpt(args, 'shrinkage'), { min: 0, max: 0.9 }) ?? 0;
    const forecast = stringOpt(args, 'forecast');
    if (forecast !== undefined) return staffFromForecast(args, forecast, sl, shrinkage);
    if (args.values['shifts'] === true) throw new UsageError('--shifts needs --forecast (a day of intervals to cover)');
    let agents: number;
    let r: ErlangResult;
    try {
      ({ agents, result: r } = agentsFor(load(args), sl));
    } catch (err) {
      inputError(err);
    }
    const scheduled = Math.ceil(agents / (1 - shrinkage) - 1e-9);
    if (args.json) return printJson({ agents, scheduled, ...view(r) });
    out(`agents         ${agents}${shrinkage > 0 ? ` (${scheduled} scheduled with ${Math.round(shrinkage * 100)} % shrinkage)` : ''}`);
    print(r);
  },
};
