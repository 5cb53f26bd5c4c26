/**
 * `surgeline forecast` (issue 5 §2, §7): learn from interval counts in a CSV and forecast the
 * next days, with event uplift, and the error of the same model on the last held-out days.
 *   surgeline forecast --csv counts.csv [--interval 30m] [--tz Asia/Taipei] [--from 2026-11-09] [--days 7]
 *                      [--events 2025-11-11=double11,2026-11-11=double11] [--uplift double11=3.2] [--holdout 7] --json
 * Computed locally, like `erlang` and `staff`.
 */
import { readFile } from 'node:fs/promises';
import { ForecastInputError, type ForecastOptions } from '../../planning/forecast.ts';
import { forecastReport } from '../../planning/forecast-report.ts';
import { parseIntervalCsv } from '../../planning/interval-csv.ts';
import { isValidTimeZone } from '../../schedules/zone.ts';
import { stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson } from '../output.ts';
import { durationSeconds, numberValue } from '../option-values.ts';

/** "a=b,c=d" → { a: 'b', c: 'd' }. */
function pairs(option: string, value: string | undefined): Record<string, string> {
  const res: Record<string, string> = {};
  for (const part of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) throw new UsageError(`--${option} ${part}: expected key=value`);
    res[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return res;
}

export const forecastCommand: Command = {
  summary: 'Forecast calls and handle time per interval from past interval counts (CSV), with event uplift and its error.',
  synopsis: 'forecast --csv counts.csv [--interval 30m] [--tz Asia/Taipei] [--from YYYY-MM-DD] [--days 7] [--events d=label,…] [--uplift label=x,…]',
  details:
    'CSV lines: start,calls[,aht_seconds] (start ISO 8601 with a zone, or local "YYYY-MM-DD HH:MM"). ' +
    'The model: weekday level × trend × intraday profile × event uplift (learned from past days of the same label, or --uplift). ' +
    'The error: the same model fitted without the last --holdout days (default 7) and scored on them (MAPE, WAPE, daily MAPE).\n' +
    '--json prints {"model","error","intervals":[{"start","day","time","calls","ahtSeconds","event"?}]}.',
  options: {
    csv: { type: 'string', value: 'file', help: 'interval counts: start,calls[,aht_seconds]' },
    interval: { type: 'string', value: 'd', help: '15m, 30m or 60m (default 30m)' },
    tz: { type: 'string', value: 'zone', help: 'time zone of days and times (default Asia/Taipei)' },
    from: { type: 'string', value: 'date', help: 'first day to forecast (default: the day after the history)' },
    days: { type: 'string', value: 'n', help: 'days to forecast (default 7)' },
    events: { type: 'string', value: 'list', help: 'event days, past and future: 2025-11-11=double11,…' },
    uplift: { type: 'string', value: 'list', help: 'given uplift factors: double11=3.2,…' },
    holdout: { type: 'string', value: 'n', help: 'days held out to measure the error (default 7)' },
    json: { type: 'boolean', help: 'machine output: JSON' },
  },
  positionals: [],
  api: false,
  async run(args) {
    const file = stringOpt(args, 'csv');
    if (file === undefined) throw new UsageError('--csv is required (interval counts: start,calls[,aht_seconds])');
    const timeZone = stringOpt(args, 'tz') ?? 'Asia/Taipei';
    if (!isValidTimeZone(timeZone)) throw new UsageError(`--tz ${timeZone}: not a time zone`);
    const minutes = durationSeconds('interval', stringOpt(args, 'interval') ?? '30m') / 60;
    if (minutes !== 15 && minutes !== 30 && minutes !== 60) throw new UsageError(`--interval: 15m, 30m or 60m, not ${minutes} minutes`);
    const uplift: Record<string, number> = {};
    for (const [label, f] of Object.entries(pairs('uplift', stringOpt(args, 'uplift')))) {
      const x = Number(f);
      if (!(Number.isFinite(x) && x > 0)) throw new UsageError(`--uplift ${label}=${f}: expected a factor > 0`);
      uplift[label] = x;
    }
    const opts: ForecastOptions = { intervalMinutes: minutes, timeZone, events: pairs('events', stringOpt(args, 'events')), uplift };
    const days = numberValue('days', stringOpt(args, 'days'), { integer: true, min: 1, max: 366 }) ?? 7;
    const holdout = numberValue('holdout', stringOpt(args, 'holdout'), { integer: true, min: 1, max: 366 }) ?? 7;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--csv ${file}: ${(err as Error).message}`);
    }
    try {
      const history = parseIntervalCsv(text, timeZone);
      const report = forecastReport(history, opts, { from: stringOpt(args, 'from'), days, holdoutDays: holdout });
      if (args.json) return printJson(report);
      const { model: summary, error, intervals } = report;
      const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
      out(`learned from ${summary.normalDays} normal days; trend ${pct(summary.trendPerDay * 30)} a month`);
      for (const [label, u] of Object.entries(summary.uplift)) out(`uplift ${label}: ×${u.factor.toFixed(2)} (${u.learnedFrom > 0 ? `learned from ${u.learnedFrom} day(s)` : 'given'})`);
      for (const o of summary.outliers) out(`left out ${o.date}: ${o.ratio.toFixed(2)}× a usual day of its weekday; if it was an event, declare it (--events ${o.date}=<label>) to learn its uplift`);
      out('unavailable' in error ? `forecast error: not measured (${error.unavailable})` : `forecast error on the last ${error.heldOutDays} days: MAPE ${pct(error.mape)} per interval, WAPE ${pct(error.wape)}, ${pct(error.dailyMape)} per day`);
      out('');
      out('day         event      calls  peak        AHT s');
      for (let i = 0; i < intervals.length; ) {
        const day = intervals[i]!.day;
        const of = intervals.filter((f) => f.day === day);
        i += of.length;
        const total = of.reduce((s, f) => s + f.calls, 0);
        const peak = of.reduce((a, b) => (b.calls > a.calls ? b : a));
        const aht = total > 0 ? of.reduce((s, f) => s + f.calls * f.ahtSeconds, 0) / total : 0;
        out(`${day}  ${(of[0]!.event ?? '').padEnd(9)} ${total.toFixed(0).padStart(6)}  ${peak.time} ${peak.calls.toFixed(0).padStart(4)}  ${aht.toFixed(0).padStart(5)}`);
      }
    } catch (err) {
      if (err instanceof ForecastInputError) throw new UsageError(err.message);
      throw err;
    }
  },
};
