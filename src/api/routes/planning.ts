/**
 * Planning over the API (issue 5 §1, §7): Erlang C, or Erlang A with a patience, for one
 * interval (POST /planning/erlang), and the agents needed per interval for a service level
 * with shrinkage (POST /planning/staff: a day of intervals in one request), and the forecast of
 * the next days (POST /planning/forecast) from the tenant's queue records or from interval
 * counts in the body, with event uplift and the error on held-out days; the shift plan covering
 * a requirement with the fewest agent-hours (POST /planning/shifts) and the three standby tiers
 * for surge multiples (POST /planning/standby). Pure computation
 * (src/planning/); nothing is stored. An impossible load or input is 422 naming it.
 */
import { z } from 'zod';
import { agentsFor, erlangA, ErlangInputError, type ErlangResult } from '../../planning/erlang.ts';
import type { IntervalCount } from '../../planning/forecast.ts';
import { forecastReport } from '../../planning/forecast-report.ts';
import { planShifts, SEED_SHIFTS } from '../../planning/shifts.ts';
import { standbyTiers } from '../../planning/standby.ts';
import { isValidTimeZone } from '../../schedules/zone.ts';
import { STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { rethrowAsUnprocessable } from '../planning-errors.ts';
import type { Registrar } from '../route.ts';

const seconds = z.number().positive().max(86_400 * 7);
const common = {
  intervalSeconds: seconds.default(1800).describe('length of the interval the arrivals fall in; default 1800'),
  targetSeconds: z.number().min(0).max(3600).default(20).describe('answer-time target of the service level; default 20'),
  patienceSeconds: seconds.optional().describe("callers' mean patience: Erlang A with abandonment; omitted: Erlang C"),
};

function view(r: ErlangResult): Record<string, number> {
  return { pWait: r.pWait, asa: r.asa, serviceLevel: r.serviceLevel, occupancy: r.occupancy, ...(r.pAbandon !== undefined ? { pAbandon: r.pAbandon } : {}) };
}

/** The body's name of an Erlang input field. */
const FIELD: Record<string, string> = { arrivalRate: 'arrivals', ahtSeconds: 'ahtSeconds', agents: 'agents', targetSeconds: 'targetSeconds', patienceSeconds: 'patienceSeconds' };

function unprocessable(err: unknown, prefix = ''): never {
  if (err instanceof ErlangInputError) {
    const path = `${prefix}${FIELD[err.field] ?? err.field}`;
    throw new ApiError('unprocessable', `${path}: ${err.message.slice(err.field.length + 2)}`, [{ path, message: err.message }]);
  }
  throw err;
}

export function registerPlanningRoutes(r: Registrar): void {
  r.route({
    method: 'POST',
    path: '/planning/erlang',
    summary: 'Erlang C (or A with patienceSeconds) for one interval: wait, ASA, service level, occupancy',
    tag: 'planning',
    access: STAFF,
    errors: { 422: 'an impossible load (Erlang C with arrivals × AHT ≥ agents) or input: error.problems names it' },
    body: z.strictObject({
      arrivals: z.number().positive().describe('calls offered in the interval'),
      ahtSeconds: seconds,
      agents: z.number().int().min(1).max(1_000_000),
      ...common,
    }),
    handler: async ({ body }) => {
      try {
        return view(erlangA({ arrivalRate: body.arrivals / body.intervalSeconds, ahtSeconds: body.ahtSeconds, agents: body.agents, targetSeconds: body.targetSeconds, patienceSeconds: body.patienceSeconds }));
      } catch (err) {
        unprocessable(err);
      }
    },
  });

  r.route({
    method: 'POST',
    path: '/planning/staff',
    summary: 'Agents needed per interval for a service level (Erlang C, or A with patienceSeconds), with shrinkage',
    description:
      'Each interval gives its arrivals and (optionally its own) AHT; an interval with no arrivals needs no agents. ' +
      '`scheduled` = ceil(agents / (1 − shrinkage)). `agentHours` sums the scheduled agents over the intervals.',
    tag: 'planning',
    access: STAFF,
    errors: { 422: 'bad input, with the interval it is in: error.problems' },
    body: z.strictObject({
      serviceLevel: z.number().gt(0).lt(1).describe('the share to answer within targetSeconds, e.g. 0.8'),
      shrinkage: z.number().min(0).max(0.9).default(0).describe('share of paid time not on the phones'),
      ahtSeconds: seconds.optional().describe('default AHT of the intervals'),
      intervals: z
        .array(z.strictObject({ arrivals: z.number().min(0), ahtSeconds: seconds.optional() }))
        .min(1)
        .max(20_000),
      ...common,
    }),
    handler: async ({ body }) => {
      const out = body.intervals.map((iv, i) => {
        const aht = iv.ahtSeconds ?? body.ahtSeconds;
        if (aht === undefined) throw new ApiError('unprocessable', `intervals[${i}].ahtSeconds: give it here or as the body's ahtSeconds`, [{ path: `intervals[${i}].ahtSeconds`, message: 'missing' }]);
        if (iv.arrivals === 0) return { agents: 0, scheduled: 0 };
        try {
          const { agents, result } = agentsFor({ arrivalRate: iv.arrivals / body.intervalSeconds, ahtSeconds: aht, targetSeconds: body.targetSeconds, patienceSeconds: body.patienceSeconds }, body.serviceLevel);
          return { agents, scheduled: Math.ceil(agents / (1 - body.shrinkage) - 1e-9), ...view(result) };
        } catch (err) {
          unprocessable(err, `intervals[${i}].`);
        }
      });
      const agentHours = (out.reduce((sum, iv) => sum + iv.scheduled, 0) * body.intervalSeconds) / 3600;
      return { intervals: out, agentHours, peakScheduled: Math.max(...out.map((iv) => iv.scheduled)) };
    },
  });

  r.route({
    method: 'POST',
    path: '/planning/forecast',
    summary: "Forecast calls and handle time per interval from the tenant's queue records (or given counts), with event uplift and its error",
    description:
      'History: `history.since`/`until` (and `queue`) read the queue visits of that period; or `history.intervals` gives the counts. ' +
      'Events name past and future days (YYYY-MM-DD → label): past ones teach the uplift of their label, future ones get it; `uplift` gives a factor instead. ' +
      '`error` is the same model fitted without the last `holdoutDays` and scored on them (MAPE per interval, WAPE, MAPE per day), or `{ unavailable }`.',
    tag: 'planning',
    access: STAFF,
    errors: { 422: 'no history, an event with no uplift to apply, bad counts: error.problems names the input' },
    body: z.strictObject({
      intervalMinutes: z.union([z.literal(15), z.literal(30), z.literal(60)]).default(30),
      timeZone: z.string().refine(isValidTimeZone, 'not a time zone').default('Asia/Taipei'),
      history: z.union([
        z.strictObject({ since: z.iso.datetime({ offset: true }), until: z.iso.datetime({ offset: true }), queue: z.string().min(1).max(63).optional() }),
        z.strictObject({ intervals: z.array(z.strictObject({ start: z.iso.datetime({ offset: true }), calls: z.number().min(0), ahtSeconds: z.number().min(0).optional() })).min(1).max(200_000) }),
      ]),
      from: z.iso.date().optional().describe('first day to forecast; default the day after the history'),
      days: z.number().int().min(1).max(366).default(7),
      holdoutDays: z.number().int().min(1).max(366).default(7),
      events: z.record(z.iso.date(), z.string().min(1).max(63)).default({}),
      uplift: z.record(z.string().min(1).max(63), z.number().positive()).default({}),
      excludeOutliers: z.boolean().default(true).describe('leave undeclared days far from their weekday (beyond 1.8× or below 1/1.8) out of the fit; they are listed in model.outliers'),
    }),
    handler: async ({ tenantId, body }) => {
      let history: IntervalCount[];
      if ('intervals' in body.history) {
        history = body.history.intervals.map((iv) => ({ start: Date.parse(iv.start), calls: iv.calls, ahtSeconds: iv.ahtSeconds }));
      } else {
        const since = new Date(body.history.since);
        const until = new Date(body.history.until);
        if (!(since < until)) throw new ApiError('unprocessable', 'history: since must be before until', [{ path: 'history.until', message: 'not after since' }]);
        history = await r.ctx.services().queueCalls.intervals(tenantId, { since, until, intervalMinutes: body.intervalMinutes, timeZone: body.timeZone, ...(body.history.queue !== undefined ? { queue: body.history.queue } : {}) });
      }
      const opts = { intervalMinutes: body.intervalMinutes, timeZone: body.timeZone, events: body.events, uplift: body.uplift, excludeOutliers: body.excludeOutliers };
      try {
        const report = forecastReport(history, opts, { from: body.from, days: body.days, holdoutDays: body.holdoutDays });
        return { ...report, intervals: report.intervals.map((f) => ({ ...f, start: new Date(f.start).toISOString() })) };
      } catch (err) {
        rethrowAsUnprocessable(err);
      }
    },
  });

  r.route({
    method: 'POST',
    path: '/planning/shifts',
    summary: 'The shift plan that covers the agents required per interval with the fewest agent-hours',
    description:
      "`required`: agents per interval over whole days from local midnight (e.g. `scheduled` of /planning/staff). `templates` default to the seeds' shifts: " +
      'morning 08:00, evening 16:00 and night 00:00, 8 h each. The plan is optimal (a min-cost flow), not a heuristic.',
    tag: 'planning',
    access: STAFF,
    errors: { 422: 'an interval no shift covers, or limits that cannot cover: error.problems names it' },
    body: z.strictObject({
      intervalMinutes: z.number().int().min(5).max(240).default(30),
      required: z.array(z.number().int().min(0).max(1_000_000)).min(1).max(7 * 288),
      templates: z
        .array(
          z.strictObject({
            name: z.string().min(1).max(63),
            starts: z.array(z.string()).min(1).max(96),
            hours: z.number().positive().max(24),
            maxAgents: z.number().int().min(0).optional(),
          }),
        )
        .min(1)
        .max(50)
        .default(() => SEED_SHIFTS.map((t) => ({ ...t, starts: [...t.starts] }))),
    }),
    handler: async ({ body }) => {
      try {
        return planShifts({ required: body.required, intervalMinutes: body.intervalMinutes, templates: body.templates });
      } catch (err) {
        rethrowAsUnprocessable(err);
      }
    },
  });

  r.route({
    method: 'POST',
    path: '/planning/standby',
    summary: 'Three-tier standby groups: the agents each surge multiple of the peak adds (Erlang, with shrinkage)',
    tag: 'planning',
    access: STAFF,
    errors: { 422: 'an impossible load: error.problems names it' },
    body: z.strictObject({
      arrivals: z.number().positive().describe('calls in the peak interval at normal volume'),
      ahtSeconds: seconds,
      serviceLevel: z.number().gt(0).lt(1),
      multiples: z.array(z.number().gt(1).max(100)).min(1).max(10).default([1.5, 2, 3]),
      baseAgents: z.number().int().min(0).optional(),
      shrinkage: z.number().min(0).max(0.9).default(0),
      ...common,
    }),
    handler: async ({ body }) => {
      for (let i = 1; i < body.multiples.length; i++) {
        if (body.multiples[i]! <= body.multiples[i - 1]!) throw new ApiError('unprocessable', `multiples[${i}]: must be above the tier before`, [{ path: `multiples[${i}]`, message: 'not increasing' }]);
      }
      try {
        return standbyTiers({ ...body, intervalSeconds: body.intervalSeconds });
      } catch (err) {
        unprocessable(err);
      }
    },
  });
}
