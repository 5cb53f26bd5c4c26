import { z } from 'zod';
import { target, type Edge, type VariableUse } from '../common.ts';

/**
 * Plays the line's announcement slot `slot` (e.g. `banner`) when the slot is set, and
 * skips straight to `next` when it is empty. The slot's text and its "[時間]"-style
 * variables are managed live by the announcements module (C5), not by this document.
 */
export const schema = z.strictObject({
  type: z.literal('announcement'),
  slot: z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'a slot name such as banner' }),
  bargeIn: z.boolean().default(false),
  next: target,
});
export type AnnouncementNode = z.infer<typeof schema>;

export function targets(node: AnnouncementNode): Edge[] {
  return [{ field: 'next', target: node.next }];
}
export function reads(_node: AnnouncementNode): VariableUse[] {
  return [];
}
export function writes(_node: AnnouncementNode, _field: string): string[] {
  return [];
}
