import { z } from 'zod';
import { usesInTemplate, type Edge, type VariableUse } from '../common.ts';

/**
 * Transfers the call to an external number (through the line's outbound trunk) or a SIP
 * URI; the flow's part ends here. `to` may be a `{{template}}` (e.g. a number an HTTP
 * lookup returned).
 */
export const schema = z.strictObject({
  type: z.literal('transfer'),
  to: z.string().regex(/^(\+?[0-9*#]{2,32}|sips?:\S+|\{\{[^{}]+\}\})$/, {
    message: 'a phone number (digits, optional leading "+"), a sip: URI or a {{variable}}',
  }),
  callerId: z.string().regex(/^\+?[0-9]{2,32}$/).optional(),
});
export type TransferNode = z.infer<typeof schema>;

export function targets(_node: TransferNode): Edge[] {
  return [];
}
export function reads(node: TransferNode): VariableUse[] {
  return usesInTemplate('to', node.to);
}
export function writes(_node: TransferNode, _field: string): string[] {
  return [];
}
