/**
 * The node's in-process event bus (spec B): call lifecycle, journey steps, announcement
 * changes and flow publications, and the ACD's agent states, queue changes, staffing tiers
 * and callback changes (issue 4), delivered per tenant. The API streams these to
 * WebSocket clients; the IVR runtime listens for announcement changes made through this
 * node. A subscriber that throws is isolated: the others still get the event.
 */
import type { AgentStateName } from '../acd/types.ts';
import type { JourneyEntry } from '../flows/interpreter.ts';

export type CallEvent =
  | { type: 'call.started'; tenantId: string; callId: string; at: number; lineId: string | null; caller: string; dialled: string; sipCallId: string; flow?: { id: string; version: number } }
  | { type: 'call.journey'; tenantId: string; callId: string; entry: JourneyEntry }
  | { type: 'call.ended'; tenantId: string; callId: string; at: number; outcome: string; target?: unknown }
  | { type: 'announcement.changed'; tenantId: string; lineId: string; slot: string; version: number; text: string | null }
  | { type: 'flow.published'; tenantId: string; flowId: string; name: string; version: number }
  /** An agent entered a state (phone, call, API); reason: the break's, else null. */
  | { type: 'agent.state'; tenantId: string; agentId: string; extension: string; at: number; state: AgentStateName; reason: string | null }
  /** A queue's configuration was created, replaced or removed (API). */
  | { type: 'queue.changed'; tenantId: string; queue: string; action: 'created' | 'updated' | 'removed' }
  /** A queue's staffing tier changed (0: normal); name: the tier's, null at 0. */
  | { type: 'queue.tier'; tenantId: string; queue: string; at: number; level: number; name: string | null }
  /** A callback request was stored or changed state (runtime, worker, API). */
  | { type: 'callback.changed'; tenantId: string; callbackId: string; at: number; state: string; kind: string; lineId: string | null; queue: string | null };

export type CallEventListener = (e: CallEvent) => void;

export class EventBus {
  private readonly byTenant = new Map<string, Set<CallEventListener>>();

  constructor(private readonly onListenerError: (err: unknown, e: CallEvent) => void = () => {}) {}

  /** Delivers synchronously to the tenant's subscribers, in subscription order. */
  publish(e: CallEvent): void {
    const listeners = this.byTenant.get(e.tenantId);
    if (!listeners) return;
    for (const fn of [...listeners]) {
      try {
        fn(e);
      } catch (err) {
        this.onListenerError(err, e);
      }
    }
  }

  /** Returns the unsubscribe function (idempotent). */
  subscribe(tenantId: string, fn: CallEventListener): () => void {
    let set = this.byTenant.get(tenantId);
    if (!set) this.byTenant.set(tenantId, (set = new Set()));
    // A wrapper, so the same function subscribed twice gets two deliveries and two unsubscribes.
    const entry: CallEventListener = (e) => fn(e);
    set.add(entry);
    return () => {
      const s = this.byTenant.get(tenantId);
      if (!s) return;
      s.delete(entry);
      if (s.size === 0) this.byTenant.delete(tenantId);
    };
  }

  /** Subscribers of a tenant (for tests and the health view). */
  listenerCount(tenantId: string): number {
    return this.byTenant.get(tenantId)?.size ?? 0;
  }
}
