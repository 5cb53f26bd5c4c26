import { z } from 'zod';
import type { Edge, VariableUse } from '../common.ts';

/**
 * Placeholder until the queues issue (C8) completes it: hands the call to queue `queue`
 * (where "#" asks for a callback); the flow's part ends here.
 */
export const schema = z.strictObject({
  type: z.literal('queue'),
  queue: z.string().min(1),
  skills: z.array(z.string().min(1)).optional(),
  priority: z.number().int().min(0).max(100).optional(),
});
export type QueueNode = z.infer<typeof schema>;

export function targets(_node: QueueNode): Edge[] {
  return [];
}
export function reads(_node: QueueNode): VariableUse[] {
  return [];
}
export function writes(_node: QueueNode, _field: string): string[] {
  return [];
}
