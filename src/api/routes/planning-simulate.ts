/**
 * The surge simulator over the API (issue 5 §4, §5, §7): POST /planning/simulate runs a line's
 * published flow (or another flow of the tenant, for a what-if) and the flows its gotos reach
 * as shares of where callers end — given, or observed in the line's past call journeys — into
 * the tenant's queues as configured, with the tenant's agents (or N agents holding every skill
 * the queues need), under a profile: given counts per interval, a step or ramp surge, or a
 * replay of the line's past calls (scaled). POST /planning/compare runs one profile against two
 * configurations and answers both and their difference. Nothing is stored; the same body and
 * seed give the same answer.
 */
import { z } from 'zod';
import { flowSchema } from '../../flows/schema.ts';
import type { Flow } from '../../flows/schema.ts';
import { walkFlow, type Choices } from '../../planning/sim/flow-walk.ts';
import { PlanningInputError } from '../../planning/input-error.ts';
import { entriesOf } from '../../planning/sim/line-entries.ts';
import { observe, observedChoices, observedIvrSeconds, type Observed } from '../../planning/sim/observed-choices.ts';
import { replayArrivals } from '../../planning/sim/replay.ts';
import { dutyAgents } from '../../planning/sim/duty-agents.ts';
import { simulate, type SimAgent, type SimEntry, type SimResult } from '../../planning/sim/simulate.ts';
import type { QueueConfig } from '../../acd/queue-config.ts';
import { STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { rethrowAsUnprocessable } from '../planning-errors.ts';
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
  z.strictObject({
    intervalMinutes: z.number().int().min(5).max(240).default(30),
    replay: z.strictObject({
      since: z.iso.datetime({ offset: true }),
      until: z.iso.datetime({ offset: true }),
      scale: z.number().min(0).max(1000).default(1).describe("each recorded call replayed this many times (1.5: half of them twice)"),
    }),
  }),
]);

const period = z.strictObject({ since: z.iso.datetime({ offset: true }), until: z.iso.datetime({ offset: true }) });

/** At most this many past journeys are read for observed shares (the oldest first). */
const OBSERVED_MAX = 200_000;

const fields = {
  line: z.string().min(1),
  flow: z.string().min(1).describe("a flow of the tenant to run instead of the line's published one (what-if)"),
  choices: z.record(z.string(), z.record(z.string(), z.number())),
  flowChoices: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.number()))).describe('shares of the nodes of flows a goto reaches, by flow name'),
  observed: period.describe("learn the shares (and the time callers spend in the IVR) from the line's calls in this period; given choices win node by node"),
  ivrSeconds: z.number().min(0).max(3600).describe('seconds callers spend in the IVR before their end, where none was observed (default 0)'),
  callbackReach: z.number().min(0).max(1).describe('the share of callback attempts the customer answers (default 1)'),
  callbackAcceptance: z.number().min(0).max(1).describe("the share of callers still waiting at their queue's callback offer who take it (default 0)"),
  startsAt: z.iso.datetime({ offset: true }).describe("the wall-clock instant the profile's first interval starts (a replay: its since): callbacks are then worked only inside their queue's calling windows, in the line's zone"),
  profile: profileSchema,
  agents: z
    .union([z.number().int().min(1).max(100_000), z.array(z.number().int().min(0).max(100_000)).min(1).max(7 * 288)])
    .describe("N agents holding every skill the queues need, or a staffing plan: agents on duty in each interval of the profile (a shift plan's scheduled); default the tenant's agents"),
  ahtSeconds: z
    .union([z.number().positive().max(36_000), z.array(z.number().positive().max(36_000)).min(1).max(7 * 288)])
    .describe("mean handle time: one for the run, or one per interval of the profile (a forecast's)"),
  patienceSeconds: z.number().positive().max(36_000),
  targetSeconds: z.number().min(0).max(3600),
  seed: z.number().int(),
};

export const simulateBody = z.strictObject({
  ...fields,
  flow: fields.flow.optional(),
  choices: fields.choices.default({}),
  flowChoices: fields.flowChoices.default({}),
  observed: fields.observed.optional(),
  ivrSeconds: fields.ivrSeconds.optional(),
  callbackReach: fields.callbackReach.optional(),
  callbackAcceptance: fields.callbackAcceptance.optional(),
  startsAt: fields.startsAt.optional(),
  agents: fields.agents.optional(),
  ahtSeconds: fields.ahtSeconds.default(180),
  patienceSeconds: fields.patienceSeconds.optional(),
  targetSeconds: fields.targetSeconds.default(30),
  seed: fields.seed.default(1),
});

/** What `b` of a comparison changes: any field, none defaulted (an absent field keeps `a`'s). */
const overrides = z.strictObject(fields).partial();
export type SimulateBody = z.infer<typeof simulateBody>;

/** Calls per interval of a counted or step profile. */
export function profileCalls(p: Exclude<SimulateBody['profile'], { replay: unknown }>): number[] {
  if ('calls' in p) return p.calls;
  const { base, multiple, at, intervals, ramp } = p.step;
  return Array.from({ length: intervals }, (_, i) => {
    if (i < at) return base;
    const climbed = ramp > 0 ? Math.min(1, (i - at + 1) / ramp) : 1;
    return base * (1 + (multiple - 1) * climbed);
  });
}

/** A per-interval AHT must cover the profile's intervals, no more, no fewer. */
function perInterval(aht: number | number[], intervals: number): number | number[] {
  if (typeof aht === 'number' || aht.length === intervals) return aht;
  throw new PlanningInputError('ahtSeconds', `${aht.length} values for ${intervals} intervals: give one per interval, or one for the run`);
}

/**
 * The agents: N all day, a staffing plan (agents on duty per interval), both holding every skill
 * and group the queues and the flow's queue nodes need; or the tenant's own agents with their
 * skills and groups.
 */
async function simAgents(
  s: Services,
  tenantId: string,
  queues: readonly QueueConfig[],
  entries: readonly SimEntry[],
  given: SimulateBody['agents'],
  intervals: number,
  intervalMinutes: number,
): Promise<SimAgent[]> {
  if (given === undefined) {
    const agents = (await s.agents.list(tenantId)).map((a) => ({ id: a.id, skills: a.skills, groups: a.groups }));
    if (agents.length === 0) throw new ApiError('unprocessable', 'the tenant has no agents: give "agents" (a count or a staffing plan)', [{ path: 'agents', message: 'none' }]);
    return agents;
  }
  const skills: Record<string, number> = {};
  const groups = new Set<string>();
  for (const q of queues) {
    for (const r of q.requiredSkills) skills[r.skill] = 10;
    for (const g of q.agentGroups) groups.add(g);
  }
  // A flow's queue node may ask for skills of its own (the payment branch asks for "payment").
  for (const e of entries) if ('skills' in e) for (const skill of e.skills ?? []) skills[skill] = 10;
  if (typeof given === 'number') return Array.from({ length: given }, (_, i) => ({ id: `sim-${i}`, skills, groups: [...groups] }));
  if (given.length !== intervals) throw new PlanningInputError('agents', `a staffing plan of ${given.length} intervals for a profile of ${intervals}: give one count per interval`);
  return dutyAgents(given, intervalMinutes, { skills, groups: [...groups] });
}

/**
 * The flow and every flow its gotos reach (published versions), by the reference each goto
 * gives — a name or an id, as the runtime resolves them — and by name; each flow read once.
 */
async function flowsReached(s: Services, tenantId: string, first: Flow): Promise<Map<string, Flow>> {
  const flows = new Map<string, Flow>([[first.name, first]]);
  const missing = new Set<string>();
  const todo = [first];
  for (let f = todo.pop(); f; f = todo.pop()) {
    for (const node of Object.values(f.nodes)) {
      if (node.type !== 'goto' || flows.has(node.flow) || missing.has(node.flow)) continue;
      const published = await s.flows.published(tenantId, node.flow);
      if (!published) {
        missing.add(node.flow); // the walk reports the goto as going nowhere
        continue;
      }
      const read = flowSchema.parse(published.document);
      const known = flows.get(read.name);
      flows.set(node.flow, known ?? read);
      if (known) continue;
      flows.set(read.name, read);
      todo.push(read);
    }
  }
  return flows;
}

/** The most calls one run may simulate (about 13 µs each: a minute of work at most). */
const MAX_SIM_CALLS = 5_000_000;

export interface SimulationAnswer extends SimResult {
  readonly walk: ReturnType<typeof walkFlow>['outcomes'];
  /** With `observed`: the calls read, and per flow and node the callers behind each share used. */
  readonly observed?: { calls: number; unmatched: number; counts: Record<string, Record<string, Record<string, number>>> };
  /** With a replay profile: the calls replayed per interval. */
  readonly profile?: { calls: number[] };
}

export async function runSimulation(s: Services, tenantId: string, body: SimulateBody): Promise<SimulationAnswer> {
  const line = await s.lines.resolveLine(tenantId, body.line);
  const flowRef = body.flow ?? line.flow_id;
  if (flowRef === null) throw new ApiError('unprocessable', `line ${line.name} has no flow: give "flow"`, [{ path: 'flow', message: 'missing' }]);
  const published = await s.flows.published(tenantId, flowRef);
  if (!published) throw new ApiError('unprocessable', `flow ${flowRef} is not published`, [{ path: 'flow', message: 'not published' }]);
  const queues: QueueConfig[] = (await s.queues.list(tenantId)).map((q) => q.config);
  const main = flowSchema.parse(published.document);
  const flows = await flowsReached(s, tenantId, main);
  let observed: Observed | undefined;
  let choices: Choices = body.choices;
  let flowChoices: Record<string, Choices> = body.flowChoices;
  let observedAnswer: SimulationAnswer['observed'];
  if (body.observed) {
    const since = new Date(body.observed.since);
    const until = new Date(body.observed.until);
    if (!(until > since)) throw new ApiError('unprocessable', 'observed.until must be after observed.since', [{ path: 'observed.until', message: 'before since' }]);
    const journeys = await s.calls.journeys(tenantId, { lineId: line.id, since, until, limit: OBSERVED_MAX });
    observed = observe(journeys, (name) => flows.get(name));
    const counts: Record<string, Record<string, Record<string, number>>> = {};
    let unmatched = 0;
    const merged: Record<string, Choices> = {};
    for (const [name, f] of flows) {
      const seen = observedChoices(f, observed);
      unmatched += seen.unmatched;
      if (Object.keys(seen.counts).length > 0) counts[name] = seen.counts;
      // Given shares win node by node.
      merged[name] = { ...seen.choices, ...(name === main.name ? body.choices : body.flowChoices[name]) };
    }
    choices = merged[main.name] ?? {};
    flowChoices = Object.fromEntries(Object.entries(merged).filter(([name]) => name !== main.name));
    observedAnswer = { calls: observed.calls, unmatched, counts };
  }
  let walk;
  try {
    walk = walkFlow(main, choices, { flows, flowChoices });
  } catch (err) {
    rethrowAsUnprocessable(err);
  }
  try {
    const p = body.profile;
    let replay;
    if ('replay' in p) {
      const since = Date.parse(p.replay.since);
      const until = Date.parse(p.replay.until);
      if (until - since > 7 * 86_400_000) throw new PlanningInputError('profile.replay.until', 'a replay covers at most 7 days');
      const recorded = await s.calls.startTimes(tenantId, { lineId: line.id, since: new Date(since), until: new Date(until) });
      if (recorded.length * p.replay.scale > MAX_SIM_CALLS) throw new PlanningInputError('profile.replay.scale', `${recorded.length} recorded calls × ${p.replay.scale}: one run simulates at most ${MAX_SIM_CALLS.toLocaleString('en')}`);
      replay = replayArrivals(recorded, {
        since,
        until,
        intervalMinutes: p.intervalMinutes,
        scale: p.replay.scale,
        seed: body.seed,
      });
    }
    const calls = replay ? replay.calls : profileCalls(p as Exclude<typeof p, { replay: unknown }>);
    const startMs = body.startsAt !== undefined ? Date.parse(body.startsAt) : 'replay' in p ? Date.parse(p.replay.since) : undefined;
    const total = calls.reduce((sum, c) => sum + c, 0);
    if (total > MAX_SIM_CALLS) throw new PlanningInputError('profile', `${Math.round(total).toLocaleString('en')} calls: one run simulates at most ${MAX_SIM_CALLS.toLocaleString('en')}`);
    const entries = entriesOf(walk, {
      queues: new Set(queues.map((q) => q.name)),
      ...(observed ? { ivrSecondsAt: (f: string | undefined, node: string) => observedIvrSeconds(observed, f ?? main.name, node) } : {}),
      ...(body.ivrSeconds !== undefined ? { ivrSeconds: body.ivrSeconds } : {}),
    });
    const agents = await simAgents(s, tenantId, queues, entries, body.agents, calls.length, p.intervalMinutes);
    const result = simulate({
      queues,
      agents,
      intervalMinutes: p.intervalMinutes,
      calls,
      arrivals: replay?.arrivals,
      entries,
      ahtSeconds: perInterval(body.ahtSeconds, calls.length),
      patienceSeconds: body.patienceSeconds,
      targetSeconds: body.targetSeconds,
      seed: body.seed,
      callbackReach: body.callbackReach,
      callbackAcceptance: body.callbackAcceptance,
      clock: startMs !== undefined ? { startMs, timeZone: line.time_zone } : undefined,
    });
    return { ...result, walk: walk.outcomes, ...(observedAnswer ? { observed: observedAnswer } : {}), ...(replay ? { profile: { calls: replay.calls } } : {}) };
  } catch (err) {
    rethrowAsUnprocessable(err);
  }
}

const COMPARED = ['offered', 'deflected', 'queued', 'answered', 'abandoned', 'voicemails', 'callbacksCreated', 'callbacksCompleted', 'callbacksFailed', 'callbackBacklog', 'serviceLevel', 'asaSeconds', 'occupancy', 'peakWaiting'] as const;

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
