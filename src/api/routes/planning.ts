/**
 * Planning over the API (issue 5 §1, §7): Erlang C, or Erlang A with a patience, for one
 * interval (POST /planning/erlang), and the agents needed per interval for a service level
 * with shrinkage (POST /planning/staff: a day of intervals in one request). Pure computation
 * (src/planning/erlang.ts); nothing is stored. An impossible load is 422 naming the input.
 */
import { z } from 'zod';
import { agentsFor, erlangA, ErlangInputError, type ErlangResult } from '../../planning/erlang.ts';
import { STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
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
}
