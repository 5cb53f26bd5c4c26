import { z } from 'zod';
import { prompt, usesInPrompt, type Edge, type VariableUse } from '../common.ts';

/**
 * Records a message for `mailbox` after `prompt`, then the call ends. Terminal for the flow.
 * `queue` names the queue whose agents call the customer back (its voicemail setting says
 * whether a callback is created); without it, a queue named like the mailbox, if the tenant
 * has one. With neither the message is kept in the inbox and no callback is created.
 */
export const schema = z.strictObject({
  type: z.literal('voicemail'),
  mailbox: z.string().min(1),
  queue: z.string().min(1).optional(),
  prompt: prompt.optional(),
  maxSeconds: z.number().int().min(5).max(600).default(120),
});
export type VoicemailNode = z.infer<typeof schema>;

export function targets(_node: VoicemailNode): Edge[] {
  return [];
}
export function reads(node: VoicemailNode): VariableUse[] {
  return usesInPrompt('prompt', node.prompt);
}
export function writes(_node: VoicemailNode, _field: string): string[] {
  return [];
}
