/**
 * A line's flow walk (flow-walk.ts) as the simulator's entries: each queue outcome (queue,
 * skills, priority) with its share, and the IVR ends — self-service hang-ups and transfers
 * as deflected, voicemails and callback bookings as callbacks created. A goto into another
 * flow is not followed yet: an error naming it, not a silent loss of callers.
 */
import type { SimEntry } from './simulate.ts';
import { FlowWalkError, type WalkResult } from './flow-walk.ts';

export function entriesOf(walk: WalkResult): SimEntry[] {
  const byKey = new Map<string, SimEntry>();
  const add = (key: string, entry: SimEntry): void => {
    const had = byKey.get(key);
    byKey.set(key, had ? { ...had, weight: had.weight + entry.weight } : entry);
  };
  for (const { node, outcome, share } of walk.outcomes) {
    switch (outcome.kind) {
      case 'queue':
        add(`q\0${outcome.queue}\0${outcome.skills.join(',')}\0${outcome.priority ?? ''}`, {
          queue: outcome.queue,
          weight: share,
          skills: outcome.skills,
          ...(outcome.priority !== undefined ? { priority: outcome.priority } : {}),
        });
        break;
      case 'voicemail':
        add('voicemail', { ivr: 'voicemail', weight: share });
        break;
      case 'callback':
        // A booking names its queue: the simulator works it there.
        add(`callback\0${outcome.queue}`, { ivr: 'callback', weight: share, queue: outcome.queue });
        break;
      case 'transfer':
        add('transfer', { ivr: 'transfer', weight: share });
        break;
      case 'hangup':
        add('deflected', { ivr: 'deflected', weight: share });
        break;
      case 'goto':
        throw new FlowWalkError(`flow.${node}`, `callers go on to flow "${outcome.flow}": the simulator does not follow a goto into another flow yet`);
    }
  }
  const entries = [...byKey.values()];
  // The shares sum to 1 within 1e-12; make it exact for the simulator's check.
  const total = entries.reduce((s, e) => s + e.weight, 0);
  return entries.map((e) => ({ ...e, weight: e.weight / total }));
}
