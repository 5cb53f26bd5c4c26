import { z } from 'zod';
import { prompt, usesInPrompt, type Edge, type VariableUse } from '../common.ts';

/**
 * A scheduled callback the caller picks (issue 4 §4, C10): after the optional `prompt`, the
 * caller hears the next `slots` open slots of `slotMinutes` in the queue's calling windows
 * (at least `leadMinutes` ahead, in the line's time zone), one key each, and chooses one; the
 * request is stored for the queue's outbound work and confirmed with its time. The keys and
 * the confirmation are the live ACD's (src/acd/live/scheduled-callback.ts), since the slots
 * depend on the queue. Terminal for the flow.
 */
export const schema = z.strictObject({
  type: z.literal('callback'),
  queue: z.string().min(1),
  prompt: prompt.optional(),
  slots: z.number().int().min(1).max(9).default(3),
  slotMinutes: z.union([z.literal(15), z.literal(30), z.literal(60), z.literal(120)]).default(60),
  leadMinutes: z.number().int().min(0).max(1440).default(30),
  /** Seconds to wait for a key after the slots are read; then they are read again, up to retries times. */
  timeoutSeconds: z.number().int().min(1).max(60).default(8),
  retries: z.number().int().min(0).max(5).default(2),
});
export type CallbackNode = z.infer<typeof schema>;

export function targets(_node: CallbackNode): Edge[] {
  return [];
}
export function reads(node: CallbackNode): VariableUse[] {
  return usesInPrompt('prompt', node.prompt);
}
export function writes(_node: CallbackNode, _field: string): string[] {
  return [];
}
