import { z } from 'zod';
import { prompt, target, timeoutMs, usesInPrompt, variableName, type Edge, type VariableUse } from '../common.ts';

/**
 * Collects a digit string into `variable` (e.g. an order number). Input ends at
 * `terminator` (not stored), at `maxLength` digits, or after `interDigitTimeoutMs` of
 * silence; fewer than `minLength` digits count as invalid. Retries as a menu does, then
 * `noInput` / `invalid`, or hang up when absent.
 */
export const schema = z
  .strictObject({
    type: z.literal('collect'),
    prompt,
    variable: variableName,
    minLength: z.number().int().min(1).max(64).default(1),
    maxLength: z.number().int().min(1).max(64),
    terminator: z.enum(['#', '*', 'none']).default('#'),
    bargeIn: z.boolean().default(true),
    timeoutMs: timeoutMs.default(5000),
    interDigitTimeoutMs: timeoutMs.default(3000),
    retries: z.number().int().min(0).max(9).default(2),
    next: target,
    noInput: target.optional(),
    invalid: target.optional(),
  })
  .refine((n) => n.minLength <= n.maxLength, { message: 'minLength is greater than maxLength', path: ['minLength'] });
export type CollectNode = z.infer<typeof schema>;

export function targets(node: CollectNode): Edge[] {
  const edges: Edge[] = [{ field: 'next', target: node.next }];
  if (node.noInput !== undefined) edges.push({ field: 'noInput', target: node.noInput });
  if (node.invalid !== undefined) edges.push({ field: 'invalid', target: node.invalid });
  return edges;
}
export function reads(node: CollectNode): VariableUse[] {
  return usesInPrompt('prompt', node.prompt);
}
/** The digits are stored only when the collect succeeds, i.e. on the way to `next`. */
export function writes(node: CollectNode, field: string): string[] {
  return field === 'next' ? [node.variable] : [];
}
