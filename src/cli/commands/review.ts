/**
 * `surgeline review --from --to` (issue 5 §6, §7): the post-event review through the node's
 * API (POST /planning/review): forecast against actual per interval, the service level of each
 * against the target, the worst intervals and the callbacks still open.
 *   surgeline review --from 2026-11-11T00:00+08:00 --to 2026-11-12T00:00+08:00 [--queue egou-orders] [--interval 30m] [--sl 0.8] [--target 30s]
 */
import { clientFor } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson } from '../output.ts';
import { durationSeconds, zonedTime } from '../option-values.ts';
import type { Review } from '../../planning/review.ts';

type ReviewJson = Review & { forecastUnavailable?: string; callbacks: { byState: Record<string, number>; open: number } };

/** "2026-11-11" (local midnight in --tz is the server's job: send it with the zone) or a full ISO time. */
function instant(option: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${option} is required (an ISO time with its zone, e.g. 2026-11-11T00:00+08:00)`);
  return zonedTime(option, value);
}

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}`);

export const reviewCommand: Command = {
  summary: 'Post-event review: forecast against actual per interval, where the service level fell short, callbacks still open.',
  synopsis: 'review --from <iso> --to <iso> [--queue q] [--interval 30m] [--sl 0.8] [--target 30s]',
  details: 'The forecast is fitted on the 8 weeks before --from. --json prints the API answer.',
  options: {
    from: { type: 'string', value: 'iso', help: 'start of the period, e.g. 2026-11-11T00:00+08:00' },
    to: { type: 'string', value: 'iso', help: 'end of the period' },
    queue: { type: 'string', value: 'q', help: 'one queue (default all)' },
    interval: { type: 'string', value: 'd', help: '15m, 30m or 60m (default 30m)' },
    sl: { type: 'string', value: 'x', help: 'the service level to reach (default 0.8)' },
    target: { type: 'string', value: 'd', help: 'its answer-time target (default 30s)' },
    tz: { type: 'string', value: 'zone', help: 'time zone of the times shown (default Asia/Taipei)' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const body: Record<string, unknown> = { from: instant('from', stringOpt(args, 'from')), to: instant('to', stringOpt(args, 'to')) };
    const queue = stringOpt(args, 'queue');
    if (queue !== undefined) body['queue'] = queue;
    body['intervalMinutes'] = durationSeconds('interval', stringOpt(args, 'interval') ?? '30m') / 60;
    const sl = stringOpt(args, 'sl');
    if (sl !== undefined) body['serviceLevel'] = Number(sl);
    const target = stringOpt(args, 'target');
    if (target !== undefined) body['targetSeconds'] = durationSeconds('target', target);
    const tz = stringOpt(args, 'tz');
    if (tz !== undefined) body['timeZone'] = tz;
    const r = await clientFor(args).post<ReviewJson>('/planning/review', body);
    if (args.json) return printJson(r);
    const t = r.totals;
    out(`offered ${t.offered}, answered ${t.answered}, abandoned ${t.abandoned}, service level ${pct(t.serviceLevel)} %`);
    out(t.forecast === null ? `forecast: ${r.forecastUnavailable ?? 'none'}` : `forecast ${t.forecast.toFixed(0)}; error ${t.forecastError ? `MAPE ${pct(t.forecastError.mape)} %, WAPE ${pct(t.forecastError.wape)} %` : '-'}`);
    out(`${t.intervalsBelowTarget} of ${t.intervalsWithCalls} intervals below target; callbacks still open: ${r.callbacks.open}`);
    if (r.worst.length > 0) {
      out('');
      out('worst intervals       offered  forecast   SL %  short by');
      for (const w of r.worst) out(`${w.day} ${w.time}  ${String(w.offered).padStart(8)}  ${(w.forecast === null ? '-' : w.forecast.toFixed(0)).padStart(8)}  ${pct(w.serviceLevel).padStart(5)}  ${pct(w.shortfall).padStart(6)} pt`);
    }
  },
};
