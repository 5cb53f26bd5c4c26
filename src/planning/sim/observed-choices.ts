/**
 * Menu shares observed from past calls (issue 5 §4: "menu choices by observed or given
 * probabilities"): every call record keeps its journey, the nodes it went through in order,
 * with the flow's end (a goto continues in the flow the goto node names, as the runtime does).
 * Counting, per (flow, node), which node came next — or that the caller hung up there — gives
 * the shares the flow walk needs; the seconds from a call's first node to its end give the
 * time callers spend in the IVR before each end. Moves a flow's current version does not
 * have (a node renamed since, an edge removed) are counted as unmatched, not forced on it.
 */
import type { JourneyEntry } from '../../flows/interpreter.ts';
import { isTerminal, targets, type Flow, type FlowNode } from '../../flows/schema.ts';

export interface JourneyRecord {
  /** The name of the flow the call started in. */
  readonly flow: string;
  readonly journey: readonly JourneyEntry[];
}

export interface Observed {
  readonly calls: number;
  /** flow → node → next node (or HANGUP_MOVE) → callers. */
  readonly moves: Map<string, Map<string, Map<string, number>>>;
  /** `${flow}\0${node}` of each call's last node → seconds in the IVR (sum) and calls. */
  readonly ivr: Map<string, { sum: number; n: number }>;
}

export const HANGUP_MOVE = '\0hangup';

export function observe(records: Iterable<JourneyRecord>, flowNamed: (name: string) => Flow | undefined): Observed {
  const moves = new Map<string, Map<string, Map<string, number>>>();
  const ivr = new Map<string, { sum: number; n: number }>();
  const count = (flow: string, from: string, to: string): void => {
    let byNode = moves.get(flow);
    if (!byNode) moves.set(flow, (byNode = new Map()));
    let next = byNode.get(from);
    if (!next) byNode.set(from, (next = new Map()));
    next.set(to, (next.get(to) ?? 0) + 1);
  };
  let calls = 0;
  for (const rec of records) {
    calls++;
    let flow: string | undefined = rec.flow;
    let prev: string | undefined;
    let first: number | undefined;
    let last: { flow: string; node: string; at: number } | undefined;
    for (const e of rec.journey) {
      first ??= e.at;
      if (flow === undefined) break; // a goto to a flow we cannot follow
      if (e.kind === 'node') {
        if (prev !== undefined) count(flow, prev, e.node);
        prev = e.node;
      } else if (e.kind === 'end') {
        if (e.end === 'caller-hangup' && prev !== undefined) count(flow, prev, HANGUP_MOVE);
        if (prev !== undefined) last = { flow, node: prev, at: e.at };
        if (e.end === 'goto' && prev !== undefined) {
          const node: FlowNode | undefined = flowNamed(flow)?.nodes[prev];
          flow = node?.type === 'goto' ? node.flow : undefined;
        }
        prev = undefined;
      }
    }
    if (last && first !== undefined) {
      const k = `${last.flow}\0${last.node}`;
      const had = ivr.get(k) ?? { sum: 0, n: 0 };
      had.sum += Math.max(0, last.at - first) / 1000;
      had.n++;
      ivr.set(k, had);
    }
  }
  return { calls, moves, ivr };
}

export interface ObservedChoices {
  /** The walk's shares, per node with any observed move, keyed as the walk keys them (edge field, or "hangup"). */
  readonly choices: Record<string, Record<string, number>>;
  /** The callers behind each share (the sample a user weighs them by). */
  readonly counts: Record<string, Record<string, number>>;
  /** Moves the flow's current version has no edge for. */
  readonly unmatched: number;
}

/** The observed moves of one flow as the walk's choices. */
export function observedChoices(flow: Flow, observed: Observed): ObservedChoices {
  const choices: Record<string, Record<string, number>> = {};
  const counts: Record<string, Record<string, number>> = {};
  let unmatched = 0;
  for (const [from, next] of observed.moves.get(flow.name) ?? []) {
    const node = flow.nodes[from];
    if (!node || isTerminal(node)) {
      for (const n of next.values()) unmatched += n;
      continue;
    }
    const edges = targets(node);
    const byField: Record<string, number> = {};
    for (const [to, n] of next) {
      // Two edges to one node (noInput and invalid both to "goodbye") are one move: the first field takes it.
      const field = to === HANGUP_MOVE ? 'hangup' : edges.find((e) => e.target === to)?.field;
      if (field === undefined) {
        unmatched += n;
        continue;
      }
      byField[field] = (byField[field] ?? 0) + n;
    }
    const total = Object.values(byField).reduce((s, n) => s + n, 0);
    if (total === 0) continue;
    counts[from] = byField;
    choices[from] = Object.fromEntries(Object.entries(byField).map(([f, n]) => [f, n / total]));
  }
  return { choices, counts, unmatched };
}

/** Mean seconds in the IVR of calls that ended at (flow, node), if any did. */
export function observedIvrSeconds(observed: Observed, flow: string, node: string): number | undefined {
  const v = observed.ivr.get(`${flow}\0${node}`);
  return v && v.n > 0 ? v.sum / v.n : undefined;
}
