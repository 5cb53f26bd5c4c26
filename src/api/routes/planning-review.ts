/**
 * The post-event review over the API (issue 5 §6, §7): POST /planning/review compares, for a
 * past period, the forecast (fitted on the weeks before it, events and uplift as for
 * /planning/forecast) with the queue visits that came, per interval; gives the service level
 * each interval reached against the target, the intervals that fell short and by how much, and
 * the callbacks requested in the period that are still open.
 */
import { z } from 'zod';
import { dateOf, fit, predict, type IntervalForecast } from '../../planning/forecast.ts';
import { PlanningInputError } from '../../planning/input-error.ts';
import { review } from '../../planning/review.ts';
import { DAY_MS, isValidTimeZone, wallOf } from '../../schedules/zone.ts';
import { STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { rethrowAsUnprocessable } from '../planning-errors.ts';
import type { Registrar } from '../route.ts';

const OPEN = ['pending', 'due', 'in-progress'] as const;

export function registerReviewRoutes(r: Registrar): void {
  r.route({
    method: 'POST',
    path: '/planning/review',
    summary: 'Post-event review: forecast against actual per interval, where the service level fell short, callbacks still open',
    tag: 'planning',
    access: STAFF,
    errors: { 422: 'a period that ends before it starts, or is too long: error.problems names it' },
    body: z.strictObject({
      from: z.iso.datetime({ offset: true }),
      to: z.iso.datetime({ offset: true }),
      queue: z.string().min(1).max(63).optional(),
      intervalMinutes: z.union([z.literal(15), z.literal(30), z.literal(60)]).default(30),
      timeZone: z.string().refine(isValidTimeZone, 'not a time zone').default('Asia/Taipei'),
      serviceLevel: z.number().gt(0).lt(1).default(0.8),
      targetSeconds: z.number().min(0).max(3600).default(30),
      historyDays: z.number().int().min(7).max(730).default(56).describe('days before `from` the forecast learns from'),
      events: z.record(z.iso.date(), z.string().min(1).max(63)).default({}),
      uplift: z.record(z.string().min(1).max(63), z.number().positive()).default({}),
    }),
    handler: async ({ tenantId, body }) => {
      const s = r.ctx.services();
      const from = Date.parse(body.from);
      const to = Date.parse(body.to);
      if (!(to > from)) throw new ApiError('unprocessable', 'to: must be after from', [{ path: 'to', message: 'not after from' }]);
      const queue = body.queue !== undefined ? { queue: body.queue } : {};
      // In the zone the review is read in: its intervals are that zone's local ones (as the forecast's are).
      const period = { since: new Date(from), until: new Date(to), intervalMinutes: body.intervalMinutes, timeZone: body.timeZone, ...queue };
      const actual = await s.queueCalls.outcomes(tenantId, { ...period, targetMs: body.targetSeconds * 1000 });
      const history = await s.queueCalls.intervals(tenantId, { ...period, since: new Date(from - body.historyDays * DAY_MS), until: new Date(from) });
      let forecast: IntervalForecast[] | undefined;
      let forecastUnavailable: string | undefined;
      try {
        const model = fit(history, { intervalMinutes: body.intervalMinutes, timeZone: body.timeZone, events: body.events, uplift: body.uplift });
        const firstDay = Math.floor(wallOf(body.timeZone, from) / DAY_MS);
        const lastDay = Math.floor(wallOf(body.timeZone, to - 1) / DAY_MS);
        forecast = predict(model, dateOf(firstDay), lastDay - firstDay + 1);
      } catch (err) {
        if (!(err instanceof PlanningInputError)) throw err;
        forecastUnavailable = err.message;
      }
      const byState = await s.callbacks.countByState(tenantId, { since: period.since, until: period.until, ...queue });
      try {
        return {
          ...review({ from, to, intervalMinutes: body.intervalMinutes, timeZone: body.timeZone, target: body.serviceLevel, actual, forecast }),
          ...(forecastUnavailable !== undefined ? { forecastUnavailable } : {}),
          callbacks: { byState, open: OPEN.reduce((n, st) => n + (byState[st] ?? 0), 0) },
        };
      } catch (err) {
        rethrowAsUnprocessable(err);
      }
    },
  });
}
