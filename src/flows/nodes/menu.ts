import { z } from 'zod';
import { prompt, target, timeoutMs, usesInPrompt, type Edge, type VariableUse } from '../common.ts';

/**
 * Plays `prompt` and waits for one key. `*` always repeats the menu (so it cannot be an
 * option). No key within `timeoutMs`, or a key that is not an option, replays the menu
 * (after `invalidPrompt` for a wrong key) up to `retries` more times; then the call goes to
 * `noInput` / `invalid`, or hangs up when that target is absent.
 */
export const schema = z.strictObject({
  type: z.literal('menu'),
  prompt,
  options: z
    .record(z.string().regex(/^[0-9#]$/, { message: 'a menu key is one of 0-9 or "#" ("*" repeats the menu)' }), target)
    .refine((o) => Object.keys(o).length > 0, { message: 'a menu needs at least one option' }),
  bargeIn: z.boolean().default(true),
  timeoutMs: timeoutMs.default(5000),
  retries: z.number().int().min(0).max(9).default(2),
  invalidPrompt: prompt.optional(),
  noInput: target.optional(),
  invalid: target.optional(),
});
export type MenuNode = z.infer<typeof schema>;

export function targets(node: MenuNode): Edge[] {
  const edges: Edge[] = Object.entries(node.options).map(([key, t]) => ({ field: `options.${key}`, target: t }));
  if (node.noInput !== undefined) edges.push({ field: 'noInput', target: node.noInput });
  if (node.invalid !== undefined) edges.push({ field: 'invalid', target: node.invalid });
  return edges;
}
export function reads(node: MenuNode): VariableUse[] {
  return [...usesInPrompt('prompt', node.prompt), ...usesInPrompt('invalidPrompt', node.invalidPrompt)];
}
export function writes(_node: MenuNode, _field: string): string[] {
  return [];
}
