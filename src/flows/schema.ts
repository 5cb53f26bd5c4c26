import { z } from 'zod';
import { nodeId, type Edge, type VariableUse } from './common.ts';
import * as announcement from './nodes/announcement.ts';
import * as branch from './nodes/branch.ts';
import * as callback from './nodes/callback.ts';
import * as collect from './nodes/collect.ts';
import * as goto from './nodes/goto.ts';
import * as hangup from './nodes/hangup.ts';
import * as http from './nodes/http.ts';
import * as menu from './nodes/menu.ts';
import * as queue from './nodes/queue.ts';
import * as say from './nodes/say.ts';
import * as schedule from './nodes/schedule.ts';
import * as set from './nodes/set.ts';
import * as transfer from './nodes/transfer.ts';
import * as voicemail from './nodes/voicemail.ts';

/**
 * A flow document (version 1): `{ version: 1, name, start, nodes: { <id>: <node> } }`.
 * Each node is one verb, told apart by `type`; each verb lives in src/flows/nodes/<type>.ts
 * with its schema, its outgoing edges and the variables it reads and writes.
 */
export const nodeSchema = z.discriminatedUnion('type', [
  say.schema,
  menu.schema,
  collect.schema,
  branch.schema,
  schedule.schema,
  set.schema,
  http.schema,
  announcement.schema,
  transfer.schema,
  voicemail.schema,
  callback.schema,
  queue.schema,
  hangup.schema,
  goto.schema,
]);
export type FlowNode = z.infer<typeof nodeSchema>;
export type NodeType = FlowNode['type'];

export const flowSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1),
  description: z.string().optional(),
  start: nodeId,
  nodes: z
    .record(nodeId, nodeSchema)
    .refine((n) => Object.keys(n).length > 0, { message: 'a flow needs at least one node' }),
});
/** A flow after parsing: defaults filled in. */
export type Flow = z.infer<typeof flowSchema>;
/** A flow as written: defaults may be left out. */
export type FlowInput = z.input<typeof flowSchema>;

interface NodeModule<N> {
  targets(node: N): Edge[];
  reads(node: N): VariableUse[];
  writes(node: N, field: string): string[];
}
type NodeModules = { [T in NodeType]: NodeModule<Extract<FlowNode, { type: T }>> };

const modules: NodeModules = {
  say,
  menu,
  collect,
  branch,
  schedule,
  set,
  http,
  announcement,
  transfer,
  voicemail,
  callback,
  queue,
  hangup,
  goto,
};

// The mapped type ties each type to its own module; TypeScript cannot narrow a
// correlated lookup through a union, so the cast only restates that tie.
function moduleOf<N extends FlowNode>(node: N): NodeModule<N> {
  return modules[node.type] as unknown as NodeModule<N>;
}

/** Outgoing edges; none for terminal nodes (hangup, transfer, queue, voicemail, goto). */
export function targets(node: FlowNode): Edge[] {
  return moduleOf(node).targets(node);
}

/** Variables the node reads (in `{{templates}}` or as a branch subject). */
export function reads(node: FlowNode): VariableUse[] {
  return moduleOf(node).reads(node);
}

/** Variables set when the node is left through the edge named `field`. */
export function writes(node: FlowNode, field: string): string[] {
  return moduleOf(node).writes(node, field);
}

const TERMINAL: ReadonlySet<NodeType> = new Set<NodeType>(['hangup', 'transfer', 'queue', 'voicemail', 'callback', 'goto']);

/** A node that ends this flow's part of the call. */
export function isTerminal(node: FlowNode): boolean {
  return TERMINAL.has(node.type);
}

/** Nodes that wait for the caller's keys, so a loop through them is driven by the caller. */
export function waitsForInput(node: FlowNode): boolean {
  return node.type === 'menu' || node.type === 'collect';
}

export type { Edge, VariableUse } from './common.ts';
