/**
 * A line's flow walk (flow-walk.ts) as the simulator's entries: each queue outcome (queue,
 * skills, priority) with its share, and the IVR ends — self-service hang-ups and transfers
 * as deflected, voicemails (filed for the node's queue, or a queue named like the mailbox, as
 * live) and callback bookings. Each entry carries the seconds callers spend in the IVR before
 * it: observed for that end, or one figure for all. A goto into a flow the walk was not given
 * is an error naming it, not a silent loss of callers.
 */
import type { SimEntry } from './simulate.ts';
import { FlowWalkError, type WalkResult } from './flow-walk.ts';

export interface EntryOptions {
  /** The tenant's queue names (a voicemail's mailbox may name one). */
  readonly queues: ReadonlySet<string>;
  /** Mean seconds in the IVR before ending at (flow, node), when observed; `flow` undefined for the line's own flow. */
  readonly ivrSecondsAt?: (flow: string | undefined, node: string) => number | undefined;
  /** Seconds in the IVR where nothing was observed (default 0). */
  readonly ivrSeconds?: number;
}

export function entriesOf(walk: WalkResult, opts: EntryOptions): SimEntry[] {
  const byKey = new Map<string, { entry: SimEntry; ivrWeighted: number }>();
  const add = (key: string, entry: SimEntry, ivrSeconds: number): void => {
    const had = byKey.get(key);
    if (had) {
      had.entry = { ...had.entry, weight: had.entry.weight + entry.weight };
      had.ivrWeighted += entry.weight * ivrSeconds;
    } else byKey.set(key, { entry, ivrWeighted: entry.weight * ivrSeconds });
  };
  for (const { flow, node, outcome, share } of walk.outcomes) {
    const ivr = opts.ivrSecondsAt?.(flow, node.replace(/:hangup$/, '')) ?? opts.ivrSeconds ?? 0;
    switch (outcome.kind) {
      case 'queue':
        add(
          `q\0${outcome.queue}\0${outcome.skills.join(',')}\0${outcome.priority ?? ''}`,
          { queue: outcome.queue, weight: share, skills: outcome.skills, ...(outcome.priority !== undefined ? { priority: outcome.priority } : {}) },
          ivr,
        );
        break;
      case 'voicemail': {
        const queue = outcome.queue ?? (opts.queues.has(outcome.mailbox) ? outcome.mailbox : undefined);
        if (outcome.queue !== undefined && !opts.queues.has(outcome.queue)) throw new FlowWalkError(`flow.${node}`, `the voicemail node files messages for queue "${outcome.queue}", which the tenant does not have`);
        add(`voicemail\0${queue ?? ''}`, { ivr: 'voicemail', weight: share, ...(queue !== undefined ? { queue } : {}) }, ivr);
        break;
      }
      case 'callback':
        // A booking names its queue: the simulator works it there.
        add(`callback\0${outcome.queue}`, { ivr: 'callback', weight: share, queue: outcome.queue }, ivr);
        break;
      case 'transfer':
        add('transfer', { ivr: 'transfer', weight: share }, ivr);
        break;
      case 'hangup':
        add('deflected', { ivr: 'deflected', weight: share }, ivr);
        break;
      case 'goto':
        throw new FlowWalkError(`flow.${node}`, `callers go on to flow "${outcome.flow}", which is not published`);
    }
  }
  // The shares sum to 1 within 1e-12; make it exact for the simulator's check.
  const all = [...byKey.values()];
  const total = all.reduce((s, e) => s + e.entry.weight, 0);
  return all.map(({ entry, ivrWeighted }) => {
    const ivrSeconds = entry.weight > 0 ? ivrWeighted / entry.weight : 0;
    return { ...entry, weight: entry.weight / total, ...(ivrSeconds > 0 ? { ivrSeconds } : {}) };
  });
}
