import { z } from 'zod';
import type { Edge, VariableUse } from '../common.ts';

/** Ends the call. */
export const schema = z.strictObject({
  type: z.literal('hangup'),
  reason: z.string().optional(),
});
export type HangupNode = z.infer<typeof schema>;

export function targets(_node: HangupNode): Edge[] {
  return [];
}
export function reads(_node: HangupNode): VariableUse[] {
  return [];
}
export function writes(_node: HangupNode, _field: string): string[] {
  return [];
}
