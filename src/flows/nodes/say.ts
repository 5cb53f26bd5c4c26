import { z } from 'zod';
import { prompt, target, usesInPrompt, type Edge, type VariableUse } from '../common.ts';

/** Plays a prompt, then goes on to `next`. With `bargeIn`, a digit stops the prompt early. */
export const schema = z.strictObject({
  type: z.literal('say'),
  prompt,
  bargeIn: z.boolean().default(false),
  next: target,
});
export type SayNode = z.infer<typeof schema>;

export function targets(node: SayNode): Edge[] {
  return [{ field: 'next', target: node.next }];
}
export function reads(node: SayNode): VariableUse[] {
  return usesInPrompt('prompt', node.prompt);
}
/** Variables set when the node is left through edge `field`. */
export function writes(_node: SayNode, _field: string): string[] {
  return [];
}
