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
 * callback booking, a transfer, a hang-up (self-service: the caller got the answer), or a
 * goto to another flow.
 */
import { PlanningInputError } from '../input-error.ts';
import { isTerminal, targets, type Flow, type FlowNode } from '../../flows/schema.ts';

export type WalkOutcome =
  | { kind: 'queue'; queue: string; skills: string[]; priority?: number }
  | { kind: 'voicemail' }
  | { kind: 'callback'; queue: string }
  | { kind: 'transfer'; to: string }
  | { kind: 'hangup' }
  | { kind: 'goto'; flow: string };

export interface WalkResult {
  /** Each terminal node callers reach, with the share of callers who end there. */
  readonly outcomes: { node: string; outcome: WalkOutcome; share: number }[];
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
      return { kind: 'voicemail' };
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
function sharesOf(name: string, node: FlowNode, given: Readonly<Record<string, number>> | undefined): { target: string; share: number }[] {
  const edges = targets(node);
  if (edges.length === 1 && given === undefined) return [{ target: edges[0]!.target, share: 1 }];
  if (edges.length === 0) return [];
  if (!given) throw new FlowWalkError(`choices.${name}`, `node "${name}" (${node.type}) has ${edges.length} ways on (${edges.map((e) => e.field).join(', ')}): give the share of each`);
  const out: { target: string; share: number }[] = [];
  let sum = 0;
  for (const [key, share] of Object.entries(given)) {
    if (key === 'hangup') {
      if (!(Number.isFinite(share) && share >= 0)) throw new FlowWalkError(`choices.${name}.hangup`, `a share ≥ 0, not ${String(share)}`);
      out.push({ target: HANGUP, share });
      sum += share;
      continue;
    }
    const field = node.type === 'menu' && /^[0-9*#]$/.test(key) ? `options.${key}` : key;
    const edge = edges.find((e) => e.field === field);
    if (!edge) throw new FlowWalkError(`choices.${name}.${key}`, `node "${name}" has no way on "${key}" (it has ${edges.map((e) => e.field).join(', ')})`);
    if (!(Number.isFinite(share) && share >= 0)) throw new FlowWalkError(`choices.${name}.${key}`, `a share ≥ 0, not ${String(share)}`);
    out.push({ target: edge.target, share });
    sum += share;
  }
  if (Math.abs(sum - 1) > 1e-6) throw new FlowWalkError(`choices.${name}`, `the shares sum to ${Number(sum.toFixed(6))}, not 1`);
  return out;
}

export function walkFlow(flow: Flow, choices: Readonly<Record<string, Readonly<Record<string, number>>>> = {}): WalkResult {
  for (const name of Object.keys(choices)) if (!flow.nodes[name]) throw new FlowWalkError(`choices.${name}`, `flow "${flow.name}" has no node "${name}"`);
  const ways = new Map<string, { target: string; share: number }[]>();
  for (const [name, node] of Object.entries(flow.nodes)) if (!isTerminal(node)) ways.set(name, sharesOf(name, node, choices[name]));
  let mass = new Map<string, number>([[flow.start, 1]]);
  const ended = new Map<string, number>();
  for (let step = 0; step < 100_000; step++) {
    const next = new Map<string, number>();
    let moving = 0;
    for (const [name, m] of mass) {
      const node = flow.nodes[name]!;
      if (isTerminal(node)) {
        ended.set(name, (ended.get(name) ?? 0) + m);
        continue;
      }
      for (const w of ways.get(name)!) {
        if (w.share === 0) continue;
        if (w.target === HANGUP) {
          ended.set(`${name}:hangup`, (ended.get(`${name}:hangup`) ?? 0) + m * w.share);
          continue;
        }
        next.set(w.target, (next.get(w.target) ?? 0) + m * w.share);
        moving += m * w.share;
      }
    }
    mass = next;
    if (moving < 1e-12) {
      const outcomes = [...ended]
        .map(([node, share]) => ({ node, outcome: node.endsWith(':hangup') ? ({ kind: 'hangup' } as const) : outcomeOf(flow.nodes[node]!), share }))
        .sort((a, b) => b.share - a.share || a.node.localeCompare(b.node));
      return { outcomes };
    }
  }
  const stuck = [...mass.keys()].join(', ');
  throw new FlowWalkError('choices', `callers never leave ${stuck}: give a way out of the loop a share above 0`);
}
