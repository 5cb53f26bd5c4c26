import { z } from 'zod';
import { nodeId, type Edge, type VariableUse } from '../common.ts';

/**
 * Continues in another flow (by name), at its start or at `node`; variables carry over.
 * Terminal for this document: the other flow is validated on its own.
 */
export const schema = z.strictObject({
  type: z.literal('goto'),
  flow: z.string().min(1),
  node: nodeId.optional(),
});
export type GotoNode = z.infer<typeof schema>;

export function targets(_node: GotoNode): Edge[] {
  return [];
}
export function reads(_node: GotoNode): VariableUse[] {
  return [];
}
export function writes(_node: GotoNode, _field: string): string[] {
  return [];
}
