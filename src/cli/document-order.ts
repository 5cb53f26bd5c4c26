/**
 * A stored flow document in the order a person wrote it, for `surgeline flow show`: the
 * store keeps documents as PostgreSQL jsonb, which sorts object keys (shortest first), so
 * a document comes back as `name, nodes, start, version` with `end` as its first node.
 * Top-level fields get their schema order, nodes follow the call from `start` (breadth
 * first along their edges, unreachable ones last), and each node starts with `type` and
 * its prompt and ends with where it goes. Only the order changes, never a value.
 */
import { flowSchema, targets } from '../flows/schema.ts';

const TOP = ['version', 'name', 'description', 'start', 'nodes'];
const NODE_FIRST = ['type', 'prompt'];
const NODE_LAST = ['options', 'cases', 'next', 'default', 'onSuccess', 'onError', 'noInput', 'invalid'];

function ordered(obj: Record<string, unknown>, first: readonly string[], last: readonly string[] = []): Record<string, unknown> {
  const keys = Object.keys(obj);
  const middle = keys.filter((k) => !first.includes(k) && !last.includes(k));
  const out: Record<string, unknown> = {};
  for (const k of [...first.filter((k) => keys.includes(k)), ...middle, ...last.filter((k) => keys.includes(k))]) out[k] = obj[k];
  return out;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Node ids from `start`, breadth first along each node's edges in field order; the rest after. */
function nodeOrder(doc: Record<string, unknown>, nodes: Record<string, unknown>): string[] {
  const parsed = flowSchema.safeParse(doc);
  const ids = Object.keys(nodes);
  if (!parsed.success) return ids;
  const flow = parsed.data;
  const seen = new Set<string>();
  const queue = Object.hasOwn(flow.nodes, flow.start) ? [flow.start] : [];
  for (const id of queue) seen.add(id);
  for (let i = 0; i < queue.length; i++) {
    const node = flow.nodes[queue[i]!];
    if (node === undefined) continue;
    for (const edge of targets(node)) {
      if (!seen.has(edge.target) && Object.hasOwn(flow.nodes, edge.target)) {
        seen.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  return [...queue, ...ids.filter((id) => !seen.has(id))];
}

export function readableOrder(document: unknown): unknown {
  if (!isRecord(document)) return document;
  const top = ordered(document, TOP);
  const nodes = top.nodes;
  if (!isRecord(nodes)) return top;
  const out: Record<string, unknown> = {};
  for (const id of nodeOrder(document, nodes)) {
    const node = nodes[id];
    out[id] = isRecord(node) ? ordered(node, NODE_FIRST, NODE_LAST) : node;
  }
  top.nodes = out;
  return top;
}
