import { z } from 'zod';
import { target, usesInTemplate, variableName, type Edge, type VariableUse } from '../common.ts';

/** Sets variables to `{{template}}` strings, all evaluated before any is assigned. */
export const schema = z.strictObject({
  type: z.literal('set'),
  variables: z
    .record(variableName, z.string())
    .refine((v) => Object.keys(v).length > 0, { message: 'set at least one variable' }),
  next: target,
});
export type SetNode = z.infer<typeof schema>;

export function targets(node: SetNode): Edge[] {
  return [{ field: 'next', target: node.next }];
}
export function reads(node: SetNode): VariableUse[] {
  return Object.entries(node.variables).flatMap(([name, value]) => usesInTemplate(`variables.${name}`, value));
}
export function writes(node: SetNode, _field: string): string[] {
  return Object.keys(node.variables);
}
