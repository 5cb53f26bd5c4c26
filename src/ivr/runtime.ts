/**
 * The IVR runtime (issue 3, spec C): makes live calls run the published flows of their
 * lines. Before an INVITE is answered it finds the line (the first dialled-number
 * candidate a line owns; none → 404) and the flow version the call will run (a call keeps
 * it even if a new version is published meanwhile). Once answered it builds the flow's
 * context (caller/call/line variables, announcements from the slot cache, the tenant's
 * schedules, http over fetch), runs the interpreter over a LivePort, follows `goto`s,
 * carries out the outcome (queue and voicemail placeholders, a B2BUA transfer through
 * the tenant trunk), and keeps the call record: start when answered, progress every 5 s,
 * end when the call ends, and every step on the event bus.
 */
import { randomUUID } from 'node:crypto';
import type { SlotState } from '../announcements/slot.ts';
import { heardAt } from '../announcements/slot.ts';
import type { Call } from '../call/call.ts';
import type { RouteDecision } from '../call/call-manager.ts';
import { dialledCandidates, numberOfUri } from '../call/dialled.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { EventBus } from '../events/bus.ts';
import { runFlow, type FlowContext, type FlowOutcome } from '../flows/interpreter.ts';
import type { Logger } from '../log.ts';
import type { MediaEngine } from '../media/engine.ts';
import type { Schedule } from '../schedules/schedule.ts';
import type { SipRequest } from '../sip/message.ts';
import { getHeader } from '../sip/headers.ts';
import type { InviteOptions } from '../sip/ua/outbound-invite.ts';
import type { SipSession } from '../sip/ua/session.ts';
import { AnnouncementCache } from './announcement-cache.ts';
import { LiveCallRecord } from './call-record.ts';
import { FlowLoader, slotsOf, staticTexts, type LoadedFlow } from './flow-loader.ts';
import { fetchJson } from './http.ts';
import { LivePort } from './live-port.ts';
import { carryOut, type OutcomeDeps } from './outcomes.ts';
import { voiceOf, type PromptCache } from './prompt-cache.ts';
import type { LineForCall, RuntimeStore } from './runtime-store.ts';
import type { CallRecord } from '../store/repositories/calls.ts';

/** A call as recorded: the calls repository's shape, live or stored. */
export type { CallRecord };

export interface IvrRuntime {
  /** A call running on this node (our id or a leg's SIP Call-ID), journey so far included. */
  live(tenantId: string, id: string): CallRecord | undefined;
  liveList(tenantId: string): CallRecord[];
  /** The API calls this after an announcement was set: new callers hear it at once. */
  announcementChanged(tenantId: string, lineId: string, state: SlotState): void;
  /** The API calls this after a publish or rollback: the next call loads the new version. */
  flowPublished(tenantId: string, flowId: string): void;
}

export interface FlowRuntimeOptions {
  readonly store: RuntimeStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly bus: EventBus;
  readonly media: MediaEngine;
  readonly prompts: PromptCache;
  /** Places the B2BUA leg of a transfer (the user agent's invite). */
  readonly invite: (opts: InviteOptions) => Promise<SipSession>;
  /** The address our SDP advertises (transfer legs). */
  readonly mediaAddress: string;
  /** SIP URI of the trunk transfers go through when the tenant has none (SURGELINE_DEMO_TRUNK); neither: transfers end as errors. */
  readonly trunk?: string;
  /** The tenant's own outbound trunk (the trunks table), tried before `trunk`. */
  readonly trunkOf?: OutcomeDeps['trunkOf'];
  /** Default 5 s. */
  readonly progressMs?: number;
  /** How long the queue placeholder holds a caller; default 10 min. */
  readonly queueHoldMs?: number;
  /** Announcement poll period; default 500 ms. */
  readonly announcementPollMs?: number;
  /** The live ACD that queue and voicemail nodes hand calls to (absent: placeholders). */
  readonly acd?: OutcomeDeps['acd'];
}

/** What routing decided, carried on the Call. */
interface Routed {
  readonly line: LineForCall;
  readonly dialled: string;
  readonly flow: LoadedFlow;
}

const MAX_GOTOS = 10;

export class FlowRuntime implements IvrRuntime {
  readonly announcements: AnnouncementCache;
  /** What a line's slot says now (expiry applied), for what callers hear while they wait. */
  private readonly slotText = (tenantId: string, lineId: string, slot: string): string | null => {
    const state = this.announcements.current(tenantId, lineId, slot);
    return state ? (heardAt(state, this.opts.clock.wallNow())?.text ?? null) : null;
  };
  private readonly flows: FlowLoader;
  private readonly calls = new Map<string, LiveCallRecord>();
  private readonly running = new Set<Promise<void>>();
  private readonly active = new Set<Call>();
  private readonly log: Logger;

  constructor(private readonly opts: FlowRuntimeOptions) {
    this.log = opts.log;
    this.flows = new FlowLoader(opts.store.flows, opts.clock);
    this.announcements = new AnnouncementCache({
      source: opts.store.announcements,
      clock: opts.clock,
      log: opts.log,
      bus: opts.bus,
      ...(opts.announcementPollMs !== undefined ? { pollMs: opts.announcementPollMs } : {}),
      // A new announcement is rendered when it is set, not when the first caller reaches it.
      onChange: (_t, _l, state) => {
        if (state.text !== null) opts.prompts.warm([{ text: state.text }]);
      },
    });
    this.announcements.start();
  }

  /** The CallManager's routing hook: decides before answering, takes no media. */
  route = async (request: SipRequest): Promise<RouteDecision> => {
    const sipCallId = getHeader(request, 'Call-ID') ?? '';
    for (const candidate of dialledCandidates(request)) {
      const line = await this.opts.store.lineForCall(candidate.number);
      if (!line) continue;
      const flow = line.flowId === null ? undefined : await this.flows.published(line.tenantId, line.flowId);
      if (!flow) {
        this.log.warn({ callId: sipCallId, lineId: line.lineId, number: candidate.number }, 'line has no published flow: refusing the call');
        await this.recordRejected(line, candidate.number, request);
        return { reject: { status: 480, reason: 'Temporarily Unavailable' } };
      }
      this.opts.prompts.warm(staticTexts(flow.flow).map((t) => ({ text: t.text, voice: voiceOf(t.voice) })));
      const routed: Routed = { line, dialled: candidate.number, flow };
      return { route: routed, dialled: candidate.number };
    }
    return { reject: { status: 404, reason: 'Not Found' } };
  };

  /** The CallManager's call handler. */
  handle = (call: Call): Promise<void> => {
    const p = this.run(call).catch((err: unknown) => {
      this.log.error({ callId: call.sipCallId, err: String(err) }, 'IVR runtime failed: hanging up');
      return call.hangup();
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  };

  live(tenantId: string, id: string): CallRecord | undefined {
    for (const rec of this.calls.values()) {
      if (rec.base.tenantId === tenantId && (rec.id === id || rec.hasSipCallId(id))) return rec.snapshot();
    }
    return undefined;
  }

  liveList(tenantId: string): CallRecord[] {
    return [...this.calls.values()].filter((r) => r.base.tenantId === tenantId).map((r) => r.snapshot());
  }

  /** Applies at once (the API publishes the 'announcement.changed' event itself). */
  announcementChanged(tenantId: string, lineId: string, state: SlotState): void {
    this.announcements.apply(tenantId, lineId, state);
  }

  flowPublished(tenantId: string, _flowId: string): void {
    this.flows.dropPointers(tenantId);
  }

  /**
   * Renders the prompts of the flows these numbers run now, so their first callers do not
   * wait for TTS. A failure is logged: calls still work, rendering on first use.
   */
  async warmLines(numbers: readonly string[]): Promise<void> {
    for (const number of numbers) {
      try {
        const line = await this.opts.store.lineForCall(number);
        const flow = line?.flowId ? await this.flows.published(line.tenantId, line.flowId) : undefined;
        if (!flow) continue;
        await Promise.all(staticTexts(flow.flow).map((t) => this.opts.prompts.ensure(t.text, voiceOf(t.voice))));
      } catch (err) {
        this.log.warn({ number, err: String(err) }, 'prompts could not be rendered ahead: callers will wait for them');
      }
    }
  }

  /** Hangs up the calls still running and waits until their records are written. */
  async close(): Promise<void> {
    await this.announcements.stop();
    await Promise.allSettled([...this.active].map((c) => c.hangup()));
    await Promise.allSettled([...this.running]);
    await this.opts.store.calls.close?.();
  }

  private async run(call: Call): Promise<void> {
    const routed = call.route as Routed | undefined;
    if (!routed) {
      await call.hangup();
      return;
    }
    const { line, flow } = routed;
    const { clock, bus, store } = this.opts;
    const callerNumber = numberOfUri(call.from) ?? call.from;
    const rec = new LiveCallRecord(
      {
        id: call.id,
        tenantId: line.tenantId,
        lineId: line.lineId,
        caller: callerNumber,
        dialled: routed.dialled,
        flowId: flow.flowId,
        flowVersion: flow.version,
        startedAt: new Date(call.startedAt),
      },
      [{ role: 'caller', sipCallId: call.sipCallId }],
      bus,
    );
    this.calls.set(call.id, rec);
    this.active.add(call);
    bus.publish({
      type: 'call.started',
      tenantId: line.tenantId,
      callId: call.id,
      at: call.startedAt,
      lineId: line.lineId,
      caller: callerNumber,
      dialled: routed.dialled,
      sipCallId: call.sipCallId,
      flow: { id: flow.flowId, version: flow.version },
    });
    // Record writes run one after another, so a slow progress can never land after the end;
    // the caller does not wait for any of them.
    let writes: Promise<void> = Promise.resolve();
    const enqueue = (what: string, fn: () => Promise<void>): Promise<void> => (writes = writes.then(() => this.write(what, call, fn)));
    void enqueue('start', () => store.calls.start({ ...rec.base, legs: [...rec.legs] }));
    let progressTimer: TimerHandle | undefined;
    const tick = (): void => {
      progressTimer = clock.setTimeout(() => {
        void enqueue('progress', () =>
          store.calls.progress(line.tenantId, call.id, { journey: [...rec.journey], variables: { ...rec.variables }, legs: [...rec.legs] }),
        ).finally(() => {
          if (rec.endedAt === null) tick();
        });
      }, this.opts.progressMs ?? 5000);
    };
    tick();
    try {
      const outcome = await this.runFlows(call, routed, rec);
      await carryOut({ ...this.opts, slotText: this.slotText }, call, rec, outcome, routed.dialled, routed.line);
    } finally {
      clock.clearTimeout(progressTimer);
      this.active.delete(call);
      rec.endedAt = new Date(clock.wallNow());
      if (!call.signal.aborted) await call.hangup();
      const outcome = rec.outcome ?? 'error';
      const written = enqueue('end', () =>
        store.calls.end(line.tenantId, call.id, {
          endedAt: rec.endedAt!,
          outcome,
          ...(rec.target !== null ? { target: rec.target } : {}),
          journey: [...rec.journey],
          variables: { ...rec.variables },
          legs: [...rec.legs],
        }),
      );
      // Record writes are batched (a few tens of ms): call.ended follows the end into the store,
      // so whoever reacts to it finds the record there; a lagging store holds it back 1 s at most.
      await new Promise<void>((resolve) => {
        const t = clock.setTimeout(resolve, 1000);
        void written.finally(() => {
          clock.clearTimeout(t);
          resolve();
        });
      });
      bus.publish({ type: 'call.ended', tenantId: line.tenantId, callId: call.id, at: rec.endedAt.getTime(), outcome, ...(rec.target !== null ? { target: rec.target } : {}) });
      await written;
      this.calls.delete(call.id);
    }
  }

  /** Runs the line's flow and the flows it goes to; the last outcome (never 'goto'). */
  private async runFlows(call: Call, routed: Routed, rec: LiveCallRecord): Promise<FlowOutcome> {
    const { line } = routed;
    const port = new LivePort(call, this.opts.prompts, this.log);
    let current = routed.flow;
    let startAt: string | undefined;
    for (let hops = 0; ; hops++) {
      const flow = startAt === undefined ? current.flow : { ...current.flow, start: startAt };
      await this.announcements.prime(line.tenantId, line.lineId, slotsOf(flow));
      // Only flows with schedule nodes read the tenant's schedules (not a query per call).
      const schedules = Object.values(flow.nodes).some((n) => n.type === 'schedule') ? await this.schedulesOf(line.tenantId) : new Map<string, Schedule>();
      const ctx: FlowContext = {
        clock: this.opts.clock,
        caller: { number: rec.base.caller, uri: call.from },
        call: { id: call.id, sipCallId: call.sipCallId, dialled: routed.dialled, startedAt: new Date(call.startedAt).toISOString() },
        line: { id: line.lineId, name: line.lineName, timeZone: line.timeZone, number: routed.dialled },
        announcements: (slot) => {
          const state = this.announcements.current(line.tenantId, line.lineId, slot);
          return state ? heardAt(state, this.opts.clock.wallNow()) : null;
        },
        schedules: (name) => schedules.get(name),
        http: fetchJson(call.signal),
        journey: rec.journey,
      };
      const outcome = await runFlow(flow, port, ctx);
      Object.assign(rec.variables, outcome.variables);
      if (outcome.end !== 'goto' || outcome.target?.kind !== 'goto') return outcome;
      const target = outcome.target;
      const next = hops < MAX_GOTOS ? await this.flows.published(line.tenantId, target.flow) : undefined;
      if (!next) {
        const reason = hops < MAX_GOTOS ? `no published flow "${target.flow}"` : `more than ${MAX_GOTOS} flow changes`;
        rec.journey.push({ kind: 'end', at: this.opts.clock.wallNow(), end: 'error', reason });
        return { end: 'error', reason, variables: outcome.variables, journey: outcome.journey };
      }
      this.log.info({ callId: call.sipCallId, flow: next.name, version: next.version }, 'flow goto');
      current = next;
      startAt = target.node;
    }
  }

  private async schedulesOf(tenantId: string): Promise<Map<string, Schedule>> {
    try {
      return new Map((await this.opts.store.schedules(tenantId)).map((s) => [s.name, s.schedule]));
    } catch (err) {
      this.log.warn({ tenantId, err: String(err) }, 'schedules could not be read: schedule nodes will fail');
      return new Map();
    }
  }

  /** A store write that must not end the call when it fails. */
  private async write(what: string, call: Call, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.error({ callId: call.sipCallId, call: call.id, err: String(err) }, `call record ${what} failed`);
    }
  }

  /** A call refused after its line was known (no published flow): recorded as 'rejected'. */
  private async recordRejected(line: LineForCall, dialled: string, request: SipRequest): Promise<void> {
    const id = randomUUID();
    const now = new Date(this.opts.clock.wallNow());
    const sipCallId = getHeader(request, 'Call-ID') ?? '';
    const from = getHeader(request, 'From') ?? '';
    const caller = /<([^>]*)>/.exec(from)?.[1] ?? from;
    try {
      await this.opts.store.calls.start({
        id,
        tenantId: line.tenantId,
        lineId: line.lineId,
        caller: numberOfUri(caller) ?? caller,
        dialled,
        legs: [{ role: 'caller', sipCallId }],
        flowId: line.flowId,
        flowVersion: null,
        startedAt: now,
      });
      await this.opts.store.calls.end(line.tenantId, id, { endedAt: now, outcome: 'rejected', journey: [], variables: {} });
    } catch (err) {
      this.log.error({ callId: sipCallId, err: String(err) }, 'rejected call could not be recorded');
    }
  }
}
