/**
 * Where a line's published flow sends its callers, as shares (issue 5 §4: "menu choices by
 * observed or given probabilities, FAQ self-service deflection"): the flow is read as a Markov
 * chain over its nodes. A node with one way on passes every caller along it; a node with
 * several (menu keys, noInput, invalid, branch cases, schedule open/closed …) needs the share
 * of each, keyed by the edge's field ("options.1" or just "1" for a menu key, "noInput",
 * "cases.0.next", "default" …), summing to 1; "hangup" is the share that hangs up there (the
 * FAQ answer was enough: deflected in the IVR), on any node. Loops (an FAQ answer back to the menu) are
 * followed until the callers still in them are below 1e-12; a loop nobody leaves is an error.
 * Terminal nodes are the outcomes: a queue (with its skills and priority), voicemail, a
 * callback booking, a transfer, a hang-up (self-service: the caller got the answer). A goto
 * continues in the flow it names when the caller gives it (walkFlow's `more.flows`), at its
 * start or the named node, as the runtime does; otherwise it is an outcome of its own.
 */
import { PlanningInputError } from '../input-error.ts';
import { isTerminal, targets, type Flow, type FlowNode } from '../../flows/schema.ts';

export type WalkOutcome =
  | { kind: 'queue'; queue: string; skills: string[]; priority?: number }
  | { kind: 'voicemail'; mailbox: string; queue?: string }
  | { kind: 'callback'; queue: string }
  | { kind: 'transfer'; to: string }
  | { kind: 'hangup' }
  | { kind: 'goto'; flow: string };

export interface WalkResult {
  /** Each terminal node callers reach, with the share of callers who end there; `flow` when it is in a flow reached by a goto. */
  readonly outcomes: { flow?: string; node: string; outcome: WalkOutcome; share: number }[];
}

export class FlowWalkError extends PlanningInputError {
  override readonly name = 'FlowWalkError';
}

/** Where callers who hang up in the IVR go (not a node name: node names are identifiers). */
const HANGUP = '\0hangup';

function outcomeOf(node: FlowNode): WalkOutcome {
  switch (node.type) {
    case 'queue':
      return { kind: 'queue', queue: node.queue, skills: [...(node.skills ?? [])], ...(node.priority !== undefined ? { priority: node.priority } : {}) };
    case 'voicemail':
      return { kind: 'voicemail', mailbox: node.mailbox, ...(node.queue !== undefined ? { queue: node.queue } : {}) };
    case 'callback':
      return { kind: 'callback', queue: node.queue };
    case 'transfer':
      return { kind: 'transfer', to: node.to };
    case 'goto':
      return { kind: 'goto', flow: node.flow };
    default:
      return { kind: 'hangup' };
  }
}

/** The share of each way out of `name`, checked. */
function sharesOf(name: string, node: FlowNode, given: Readonly<Record<string, number>> | undefined, path: string): { target: string; share: number }[] {
  const edges = targets(node);
  if (edges.length === 1 && given === undefined) return [{ target: edges[0]!.target, share: 1 }];
  if (edges.length === 0) return [];
  if (!given) throw new FlowWalkError(`${path}.${name}`, `node "${name}" (${node.type}) has ${edges.length} ways on (${edges.map((e) => e.field).join(', ')}): give the share of each`);
  const out: { target: string; share: number }[] = [];
  let sum = 0;
  for (const [key, share] of Object.entries(given)) {
    if (key === 'hangup') {
      if (!(Number.isFinite(share) && share >= 0)) throw new FlowWalkError(`${path}.${name}.hangup`, `a share ≥ 0, not ${String(share)}`);
      out.push({ target: HANGUP, share });
      sum += share;
      continue;
    }
    const field = node.type === 'menu' && /^[0-9*#]$/.test(key) ? `options.${key}` : key;
    const edge = edges.find((e) => e.field === field);
    if (!edge) throw new FlowWalkError(`${path}.${name}.${key}`, `node "${name}" has no way on "${key}" (it has ${edges.map((e) => e.field).join(', ')})`);
    if (!(Number.isFinite(share) && share >= 0)) throw new FlowWalkError(`${path}.${name}.${key}`, `a share ≥ 0, not ${String(share)}`);
    out.push({ target: edge.target, share });
    sum += share;
  }
  if (Math.abs(sum - 1) > 1e-6) throw new FlowWalkError(`${path}.${name}`, `the shares sum to ${Number(sum.toFixed(6))}, not 1`);
  return out;
}

export type Choices = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface WalkMore {
  /** Flows a goto may reach, by the reference the goto gives (a name or an id, as the runtime resolves it); a goto to one not here stays a goto outcome. */
  readonly flows?: ReadonlyMap<string, Flow>;
  /** The shares of nodes of those flows, by flow name then node. */
  readonly flowChoices?: Readonly<Record<string, Choices>>;
}

/**
 * The walk over the line's flow and, through its gotos, the flows in `more.flows`: one Markov
 * chain over (flow, node), so a goto back into the first flow is a loop like any other.
 */
export function walkFlow(flow: Flow, choices: Choices = {}, more: WalkMore = {}): WalkResult {
  const flows = new Map<string, Flow>([...(more.flows ?? new Map<string, Flow>())].filter(([ref]) => ref !== flow.name));
  flows.set(flow.name, flow);
  // Shares are given by the flow's name, whichever reference a goto used.
  const choicesFor = (f: Flow): { choices: Choices; path: string } =>
    f === flow ? { choices, path: 'choices' } : { choices: more.flowChoices?.[f.name] ?? {}, path: `flowChoices.${f.name}` };
  const choicesOf = (ref: string): { choices: Choices; path: string } => choicesFor(flows.get(ref)!);
  const names = new Set([...flows.values()].map((f) => f.name));
  for (const f of new Set(flows.values())) {
    const { choices: c, path } = choicesFor(f);
    for (const node of Object.keys(c)) if (!f.nodes[node]) throw new FlowWalkError(`${path}.${node}`, `flow "${f.name}" has no node "${node}"`);
  }
  for (const name of Object.keys(more.flowChoices ?? {})) if (!names.has(name)) throw new FlowWalkError(`flowChoices.${name}`, `no flow "${name}" is reached from "${flow.name}"`);
  const key = (f: string, node: string): string => `${f}\0${node}`;
  // What each (flow, node) callers reach does, worked out on first reach: nodes nobody reaches need no shares.
  type Step = { end: { flow: string; node: string; outcome: WalkOutcome } } | { ways: { target: string; share: number }[] };
  const steps = new Map<string, Step>();
  const stepOf = (at: string): Step => {
    const known = steps.get(at);
    if (known) return known;
    const [name, id] = at.split('\0') as [string, string];
    const node = flows.get(name)!.nodes[id]!;
    const { choices: c, path } = choicesOf(name);
    let step: Step;
    if (node.type === 'goto' && flows.has(node.flow)) {
      const start = node.node ?? flows.get(node.flow)!.start;
      if (!flows.get(node.flow)!.nodes[start]) throw new FlowWalkError(`${path === 'choices' ? 'flow' : path}.${id}`, `goto into flow "${node.flow}" at node "${start}", which it does not have`);
      step = { ways: [{ target: key(node.flow, start), share: 1 }] };
    } else if (isTerminal(node)) step = { end: { flow: flows.get(name)!.name, node: id, outcome: outcomeOf(node) } };
    else step = { ways: sharesOf(id, node, c[id], path).map((w) => ({ share: w.share, target: w.target === HANGUP ? HANGUP : key(name, w.target) })) };
    steps.set(at, step);
    return step;
  };
  let mass = new Map<string, number>([[key(flow.name, flow.start), 1]]);
  const ended = new Map<string, { flow: string; node: string; outcome: WalkOutcome; share: number }>();
  const end = (k: string, what: { flow: string; node: string; outcome: WalkOutcome }, m: number): void => {
    const had = ended.get(k);
    if (had) had.share += m;
    else ended.set(k, { ...what, share: m });
  };
  for (let step = 0; step < 100_000; step++) {
    const next = new Map<string, number>();
    let moving = 0;
    for (const [at, m] of mass) {
      const step = stepOf(at);
      if ('end' in step) {
        end(key(step.end.flow, step.end.node), step.end, m);
        continue;
      }
      for (const w of step.ways) {
        if (w.share === 0) continue;
        if (w.target === HANGUP) {
          const [f, node] = at.split('\0') as [string, string];
          end(`${key(flows.get(f)!.name, node)}:hangup`, { flow: flows.get(f)!.name, node: `${node}:hangup`, outcome: { kind: 'hangup' } }, m * w.share);
          continue;
        }
        next.set(w.target, (next.get(w.target) ?? 0) + m * w.share);
        moving += m * w.share;
      }
    }
    mass = next;
    if (moving < 1e-12) {
      const outcomes = [...ended.values()]
        .map(({ flow: f, node, outcome, share }) => ({ ...(f !== flow.name ? { flow: f } : {}), node, outcome, share }))
        .sort((a, b) => b.share - a.share || (a.flow ?? '').localeCompare(b.flow ?? '') || a.node.localeCompare(b.node));
      return { outcomes };
    }
  }
  const stuck = [...mass.keys()].map((k) => k.replace('\0', '/')).join(', ');
  throw new FlowWalkError('choices', `callers never leave ${stuck}: give a way out of the loop a share above 0`);
}
