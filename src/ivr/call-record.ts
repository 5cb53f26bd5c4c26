/**
 * The record of one call while it runs on this node: what the API's live view shows and
 * what the calls repository stores at start, every few seconds, and at the end. Each
 * journey entry the interpreter records is published on the event bus as it happens
 * (the interpreter pushes into this record's array).
 */
import type { EventBus } from '../events/bus.ts';
import type { JourneyEntry } from '../flows/interpreter.ts';
import type { CallRecord } from './runtime.ts';

export class LiveCallRecord {
  readonly journey: JourneyEntry[] = [];
  readonly variables: Record<string, string> = {};
  readonly legs: CallRecord['legs'];
  endedAt: Date | null = null;
  outcome: string | null = null;
  target: unknown = null;

  constructor(
    readonly base: Omit<CallRecord, 'journey' | 'variables' | 'legs' | 'endedAt' | 'outcome' | 'target'>,
    legs: CallRecord['legs'],
    bus: EventBus,
  ) {
    this.legs = [...legs];
    const journey = this.journey;
    const push = Array.prototype.push;
    // Own push: every entry reaches the bus the moment the interpreter records it.
    journey.push = (...items: JourneyEntry[]): number => {
      const n = push.apply(journey, items);
      for (const entry of items) bus.publish({ type: 'call.journey', tenantId: base.tenantId, callId: base.id, entry });
      return n;
    };
  }

  get id(): string {
    return this.base.id;
  }

  /** SIP Call-IDs of every leg (the API finds calls by any of them). */
  hasSipCallId(id: string): boolean {
    return this.legs.some((l) => l.sipCallId === id);
  }

  /** A copy, safe to hand out while the call goes on. */
  snapshot(): CallRecord {
    return {
      ...this.base,
      legs: this.legs.map((l) => ({ ...l })),
      journey: [...this.journey],
      variables: { ...this.variables },
      endedAt: this.endedAt,
      outcome: this.outcome,
      target: this.target,
    };
  }
}
