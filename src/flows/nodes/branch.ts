import { z } from 'zod';
import { target, variableName, type Edge, type VariableUse } from '../common.ts';

/**
 * Chooses the first case whose test matches a value, else `default`. The value is a flow
 * variable (`on: "variable"`) or a caller attribute from the CRM (`on: "caller"`, e.g.
 * `segment`, `vip`, `number`). A case tests `equals` (one value or any of a list) or
 * `matches` (a regular expression), exactly one of them.
 */
const branchCase = z
  .strictObject({
    equals: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    matches: z
      .string()
      .refine(
        (s) => {
          try {
            new RegExp(s);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression' },
      )
      .optional(),
    next: target,
  })
  .refine((c) => (c.equals === undefined) !== (c.matches === undefined), {
    message: 'a case has exactly one of "equals" or "matches"',
  });

export const schema = z.strictObject({
  type: z.literal('branch'),
  on: z.enum(['variable', 'caller']),
  name: variableName,
  cases: z.array(branchCase).min(1),
  default: target,
});
export type BranchNode = z.infer<typeof schema>;

export function targets(node: BranchNode): Edge[] {
  const edges: Edge[] = node.cases.map((c, i) => ({ field: `cases.${i}.next`, target: c.next }));
  edges.push({ field: 'default', target: node.default });
  return edges;
}
export function reads(node: BranchNode): VariableUse[] {
  return node.on === 'variable' ? [{ field: 'name', variable: node.name }] : [];
}
export function writes(_node: BranchNode, _field: string): string[] {
  return [];
}
