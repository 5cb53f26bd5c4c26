/**
 * The surge simulator over the API (issue 5 §4, §5, §7): POST /planning/simulate runs a line's
 * published flow (or another flow of the tenant, for a what-if) as shares of where callers
 * end, into the tenant's queues as configured, with the tenant's agents (or N agents holding
 * every skill the queues need), under a profile: given counts per interval, or a step surge
 * ("step:10x": base volume, then the multiple from an interval on). POST /planning/compare runs
 * one profile against two configurations and answers both and their difference. Nothing is
 * stored; the same body and seed give the same answer.
 */
import { z } from 'zod';
import { flowSchema } from '../../flows/schema.ts';
import { walkFlow } from '../../planning/sim/flow-walk.ts';
import { PlanningInputError } from '../../planning/input-error.ts';
import { entriesOf } from '../../planning/sim/line-entries.ts';
import { simulate, type SimAgent, type SimResult } from '../../planning/sim/simulate.ts';
import type { QueueConfig } from '../../acd/queue-config.ts';
import { STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';
import type { Services } from '../services.ts';

const profileSchema = z.union([
  z.strictObject({ intervalMinutes: z.number().int().min(5).max(240).default(30), calls: z.array(z.number().min(0)).min(1).max(7 * 288) }),
  z.strictObject({
    intervalMinutes: z.number().int().min(5).max(240).default(30),
    step: z.strictObject({
      base: z.number().min(0).describe('calls per interval before the step'),
      multiple: z.number().min(0).max(1000),
      at: z.number().int().min(0).describe('the interval the step starts at'),
      intervals: z.number().int().min(1).max(7 * 288),
      ramp: z.number().int().min(0).default(0).describe('intervals to climb from base to the multiple (0: a step)'),
    }),
  }),
]);

const fields = {
  line: z.string().min(1),
  flow: z.string().min(1).describe("a flow of the tenant to run instead of the line's published one (what-if)"),
  choices: z.record(z.string(), z.record(z.string(), z.number())),
  profile: profileSchema,
  agents: z.number().int().min(1).max(100_000).describe("N agents holding every skill the queues need; default the tenant's agents"),
  ahtSeconds: z.number().positive().max(36_000),
  patienceSeconds: z.number().positive().max(36_000),
  targetSeconds: z.number().min(0).max(3600),
  seed: z.number().int(),
};

export const simulateBody = z.strictObject({
  ...fields,
  flow: fields.flow.optional(),
  choices: fields.choices.default({}),
  agents: fields.agents.optional(),
  ahtSeconds: fields.ahtSeconds.default(180),
  patienceSeconds: fields.patienceSeconds.optional(),
  targetSeconds: fields.targetSeconds.default(30),
  seed: fields.seed.default(1),
});

/** What `b` of a comparison changes: any field, none defaulted (an absent field keeps `a`'s). */
const overrides = z.strictObject(fields).partial();
export type SimulateBody = z.infer<typeof simulateBody>;

/** Calls per interval of a profile. */
export function profileCalls(p: SimulateBody['profile']): number[] {
  if ('calls' in p) return p.calls;
  const { base, multiple, at, intervals, ramp } = p.step;
  return Array.from({ length: intervals }, (_, i) => {
    if (i < at) return base;
    const climbed = ramp > 0 ? Math.min(1, (i - at + 1) / ramp) : 1;
    return base * (1 + (multiple - 1) * climbed);
  });
}

function invalid(err: unknown): never {
  if (err instanceof PlanningInputError) throw new ApiError('unprocessable', err.message, [{ path: err.input, message: err.message }]);
  throw err;
}

export async function runSimulation(s: Services, tenantId: string, body: SimulateBody): Promise<SimResult & { walk: ReturnType<typeof walkFlow>['outcomes'] }> {
  const line = await s.lines.resolveLine(tenantId, body.line);
  const flowRef = body.flow ?? line.flow_id;
  if (flowRef === null) throw new ApiError('unprocessable', `line ${line.name} has no flow: give "flow"`, [{ path: 'flow', message: 'missing' }]);
  const published = await s.flows.published(tenantId, flowRef);
  if (!published) throw new ApiError('unprocessable', `flow ${flowRef} is not published`, [{ path: 'flow', message: 'not published' }]);
  const queues: QueueConfig[] = (await s.queues.list(tenantId)).map((q) => q.config);
  let walk;
  try {
    walk = walkFlow(flowSchema.parse(published.document), body.choices);
  } catch (err) {
    invalid(err);
  }
  let agents: SimAgent[];
  if (body.agents !== undefined) {
    const skills: Record<string, number> = {};
    const groups = new Set<string>();
    for (const q of queues) {
      for (const r of q.requiredSkills) skills[r.skill] = 10;
      for (const g of q.agentGroups) groups.add(g);
    }
    agents = Array.from({ length: body.agents }, (_, i) => ({ id: `sim-${i}`, skills, groups: [...groups] }));
  } else {
    agents = (await s.agents.list(tenantId)).map((a) => ({ id: a.id, skills: a.skills, groups: a.groups }));
    if (agents.length === 0) throw new ApiError('unprocessable', 'the tenant has no agents: give "agents" (a count)', [{ path: 'agents', message: 'none' }]);
  }
  try {
    const result = simulate({
      queues,
      agents,
      intervalMinutes: body.profile.intervalMinutes,
      calls: profileCalls(body.profile),
      entries: entriesOf(walk),
      ahtSeconds: body.ahtSeconds,
      patienceSeconds: body.patienceSeconds,
      targetSeconds: body.targetSeconds,
      seed: body.seed,
    });
    return { ...result, walk: walk.outcomes };
  } catch (err) {
    invalid(err);
  }
}

const COMPARED = ['offered', 'deflected', 'queued', 'answered', 'abandoned', 'callbacksCreated', 'callbacksCompleted', 'callbackBacklog', 'serviceLevel', 'asaSeconds', 'occupancy', 'peakWaiting'] as const;

export function registerSimulateRoutes(r: Registrar): void {
  r.route({
    method: 'POST',
    path: '/planning/simulate',
    summary: "Rehearse a surge: a line's flow, the tenant's queues and routing, agents, a profile; per interval and totals",
    description:
      '`choices` gives the share of each way out of the flow\'s nodes with several (menu keys, noInput, invalid, "hangup" for callers who hang up there). ' +
      '`profile` is counts per interval, or a step (and ramp) surge. Seeded: the same body gives the same answer.',
    tag: 'planning',
    access: STAFF,
    errors: { 404: 'no such line or flow', 422: 'shares missing or not summing to 1, a flow that loops forever, no agents: error.problems names it' },
    body: simulateBody,
    handler: async ({ tenantId, body }) => runSimulation(r.ctx.services(), tenantId, body),
  });

  r.route({
    method: 'POST',
    path: '/planning/compare',
    summary: 'What-if: the same surge against two configurations, side by side (b − a for each total)',
    description: '`b` overrides fields of `a` (e.g. another flow, more agents, other shares); the profile and seed are shared unless `b` sets them.',
    tag: 'planning',
    access: STAFF,
    errors: { 404: 'no such line or flow', 422: 'as /planning/simulate' },
    body: z.strictObject({ a: simulateBody, b: overrides }),
    handler: async ({ tenantId, body }) => {
      const s = r.ctx.services();
      const a = await runSimulation(s, tenantId, body.a);
      const b = await runSimulation(s, tenantId, { ...body.a, ...body.b });
      const difference = Object.fromEntries(COMPARED.map((k) => [k, a.totals[k] === null || b.totals[k] === null ? null : (b.totals[k] as number) - (a.totals[k] as number)]));
      return { a: a.totals, b: b.totals, difference, intervals: { a: a.intervals, b: b.intervals } };
    },
  });
}
