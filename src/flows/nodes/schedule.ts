import { z } from 'zod';
import { target, type Edge, type VariableUse } from '../common.ts';

/**
 * Branches on a named schedule (C6) at the moment the caller reaches this node:
 * `open` during business hours, `holiday` on a holiday (falls back to `closed` when
 * absent), `closed` otherwise.
 */
export const schema = z.strictObject({
  type: z.literal('schedule'),
  schedule: z.string().min(1),
  open: target,
  closed: target,
  holiday: target.optional(),
});
export type ScheduleNode = z.infer<typeof schema>;

export function targets(node: ScheduleNode): Edge[] {
  const edges: Edge[] = [
    { field: 'open', target: node.open },
    { field: 'closed', target: node.closed },
  ];
  if (node.holiday !== undefined) edges.push({ field: 'holiday', target: node.holiday });
  return edges;
}
export function reads(_node: ScheduleNode): VariableUse[] {
  return [];
}
export function writes(_node: ScheduleNode, _field: string): string[] {
  return [];
}
