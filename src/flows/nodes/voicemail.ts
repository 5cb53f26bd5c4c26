import { z } from 'zod';
import { prompt, usesInPrompt, type Edge, type VariableUse } from '../common.ts';

/**
 * Placeholder until the callbacks/voicemail issue (C10) completes it: records a message
 * for `mailbox` after `prompt`, then the call ends. Terminal for the flow.
 */
export const schema = z.strictObject({
  type: z.literal('voicemail'),
  mailbox: z.string().min(1),
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
