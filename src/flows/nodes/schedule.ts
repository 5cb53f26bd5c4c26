import { z } from 'zod';
import { target, type Edge, type VariableUse } from '../common.ts';
import type { Schedule } from '../../schedules/schedule.ts';
import { reopeningText } from '../../schedules/presets.ts';

/**
 * Branches on a named schedule (C6) at the moment the caller reaches this node:
 * `open` during business hours, `holiday` on a holiday (falls back to `closed` when
 * absent), `closed` otherwise. The hours are read in the schedule's own time zone.
 *
 * On the way to `closed` or `holiday` it sets `{{schedule.reopens}}` (REOPENS): when the
 * line opens again, in the schedule's local time and the seeds' wording — "今天 17:30",
 * "明天(周二)11:30", "后天(周三)11:30", "12月1日(周二)11:30" (reopeningText) — so an
 * after-hours message can say when to call back. It is set to "" when the schedule never
 * opens again; a flow can branch on it (matches ".") to say a fixed message instead.
 * Computed from the injected clock's wall time, like the branch itself.
 */
export const schema = z.strictObject({
  type: z.literal('schedule'),
  schedule: z.string().min(1),
  open: target,
  closed: target,
  holiday: target.optional(),
});
export type ScheduleNode = z.infer<typeof schema>;

/** The variable set on the closed/holiday branches. */
export const REOPENS = 'schedule.reopens';

/** The value of REOPENS for a caller reaching a closed schedule at `instantMs`. */
export function reopensValue(schedule: Schedule, instantMs: number): string {
  return reopeningText(schedule, instantMs) ?? '';
}

export function targets(node: ScheduleNode): Edge[] {
  const edges: Edge[] = [
    { field: 'open', target: node.open },
    { field: 'closed', target: node.closed },
  ];
  if (node.holiday !== undefined) edges.push({ field: 'holiday', target: node.holiday });
  return edges;
}
export function reads(_node: ScheduleNode): VariableUse[] {
  return [];
}
export function writes(_node: ScheduleNode, field: string): string[] {
  return field === 'closed' || field === 'holiday' ? [REOPENS] : [];
}
