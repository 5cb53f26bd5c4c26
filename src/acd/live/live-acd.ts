/**
 * The live ACD of one tenant on this node, wired from the store: the agent registry (fed by
 * the agent phones' online/offline events), the queue engine, and what a flow's queue and
 * voicemail nodes do on a live call (FlowAcd, used by src/ivr/outcomes.ts). The caller's
 * customer type comes from the call records: returning when the number called before, VIP
 * when the call carries the variable `customer.vip` = 'true' (set by an http lookup node).
 */
import type { AudioStore } from '../../storage/audio-store.ts';
import type { Kysely } from 'kysely';
import type { Call } from '../../call/call.ts';
import type { Clock } from '../../clock.ts';
import type { FlowTarget, JourneyEntry } from '../../flows/interpreter.ts';
import type { Logger } from '../../log.ts';
import type { MediaEngine } from '../../media/engine.ts';
import type { AgentDialer } from '../../agents/dialer.ts';
import type { AgentPhones } from '../../agents/phones.ts';
import type { Database } from '../../store/schema.ts';
import { agentsRepository } from '../../store/repositories/agents.ts';
import { agentEventsRepository } from '../../store/repositories/agent-events.ts';
import { callbacksRepository } from '../../store/repositories/callbacks.ts';
import { queueCallsRepository } from '../../store/repositories/queue-calls.ts';
import { queuesRepository } from '../../store/repositories/queues.ts';
import { recordingsRepository } from '../../store/repositories/recordings.ts';
import { voicemailsRepository } from '../../store/repositories/voicemails.ts';
import { AgentRegistry } from './agent-registry.ts';
import { QueueEngine, type QueueCaller, type VisitEnd } from './queue-engine.ts';
import { leaveVoicemail } from './voicemail.ts';
import { RecordingRetention } from './recording-retention.ts';
import type { TierChange } from './tier-watch.ts';
import { bookScheduledCallback, type BookingResult, type CallbackTarget } from './scheduled-callback.ts';
import { CallbackWorker, type CallbackWorkerOptions } from './callback-worker.ts';
import { trunksRepository } from '../../store/repositories/trunks.ts';
import { linesRepository } from '../../store/repositories/lines.ts';
import type { AgentSnapshot, WaitingCall } from '../types.ts';

/** What a flow outcome needs to know of the call (the runtime's record and port). */
export interface FlowCall {
  readonly call: Call;
  readonly callId: string;
  readonly lineId: string | null;
  readonly timeZone: string;
  readonly callerNumber: string;
  readonly journey: JourneyEntry[];
  readonly variables: Record<string, string>;
  /** What a slot of the caller's line says now (null: nothing). */
  slotText?(slot: string): string | null;
  /** bargeIn: a key ends the text (and stays to be read); default false. */
  say(text: string, opts?: { bargeIn?: boolean }): Promise<unknown>;
}

export interface LiveAcdOptions {
  readonly db: Kysely<Database>;
  readonly tenantId: string;
  readonly tenantSlug: string;
  readonly dataDir: string;
  /** Where finished recordings and voicemails go (src/storage/audio-store.ts); default: they stay in the data directory. */
  readonly audio?: AudioStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly media: MediaEngine;
  readonly dialer: Pick<AgentDialer, 'ring' | 'connect'>;
  readonly phones: Pick<AgentPhones, 'on' | 'off' | 'onlineExtensions'>;
  /** Places outbound calls (callbacks through the trunk); with it a callback worker exists. */
  readonly invite?: CallbackWorkerOptions['invite'];
  readonly mediaAddress?: string;
  /** Start the callback worker's timer in start(); default true (tests drive tick() themselves). */
  readonly runCallbacks?: boolean;
  readonly callbackPollMs?: number;
  /** Start the hourly recording-retention sweep in start(); default true (tests call retention.sweep()). */
  readonly runRetention?: boolean;
  /** How often agent edits made on other nodes are picked up; default 10 s. */
  readonly agentRefreshMs?: number;
  /** A queue's staffing tier changed: the app publishes it and switches announcements (tier-announcer.ts). */
  readonly onTier?: (change: TierChange) => void;
  /** Every agent state change (after the registry applied it): the app publishes it as an event. */
  readonly onAgentChange?: (agent: AgentSnapshot) => void;
}

/** Which live ACD serves a tenant's calls: one LiveAcd (itself), or one per tenant (tenant-acds.ts). */
export interface AcdDirectory {
  acdFor(tenantId: string): Promise<LiveAcd | undefined>;
}

export const NO_QUEUE_TEXT = '抱歉，目前無法為您轉接客服人員，請稍後再撥。再見。';

/** Nodes the caller went through and the keys pressed, from the journey. */
export function pathAndDigits(journey: readonly JourneyEntry[]): { ivrPath: string[]; digits: string } {
  const ivrPath: string[] = [];
  let digits = '';
  for (const e of journey) {
    if (e.kind === 'node') ivrPath.push(e.node);
    else if (e.kind === 'digit') digits += e.digit;
  }
  return { ivrPath, digits: digits.slice(0, 256) };
}

export class LiveAcd implements AcdDirectory {
  readonly agents: AgentRegistry;
  readonly engine: QueueEngine;
  readonly callbackWorker: CallbackWorker | undefined;
  private agentTimer: ReturnType<typeof setInterval> | undefined;
  readonly retention: RecordingRetention;
  // The phones of every tenant share one registrar: this ACD follows its own realm's.
  private readonly onOnline = (e: { realm: string; extension: string }): void => {
    if (e.realm === this.opts.tenantSlug) void this.agents.phoneOnline(e.extension);
  };
  private readonly onOffline = (e: { realm: string; extension: string }): void => {
    if (e.realm === this.opts.tenantSlug) this.agents.phoneOffline(e.extension);
  };

  constructor(private readonly opts: LiveAcdOptions) {
    const { db, clock, log, tenantId } = opts;
    this.agents = new AgentRegistry({
      tenantId,
      agents: agentsRepository(db, clock),
      events: agentEventsRepository(db, clock),
      clock,
      log,
      onChange: (a) => {
        this.engine.agentChanged(a);
        opts.onAgentChange?.(a);
      },
    });
    this.engine = new QueueEngine({
      tenantId,
      tenantSlug: opts.tenantSlug,
      dataDir: opts.dataDir,
      clock,
      log,
      media: opts.media,
      dialer: opts.dialer,
      agents: this.agents,
      queues: queuesRepository(db, clock),
      queueCalls: queueCallsRepository(db, clock),
      callbacks: callbacksRepository(db, clock),
      recordings: recordingsRepository(db, clock),
      ...(opts.audio ? { audio: opts.audio } : {}),
      ...(opts.onTier ? { onTier: opts.onTier } : {}),
    });
    this.retention = new RecordingRetention({
      tenantId,
      dataDir: opts.dataDir,
      clock,
      log,
      queues: queuesRepository(db, clock),
      recordings: recordingsRepository(db, clock),
      ...(opts.audio ? { audio: opts.audio } : {}),
    });
    this.callbackWorker = opts.invite
      ? new CallbackWorker({
          tenantId,
          clock,
          log,
          media: opts.media,
          mediaAddress: opts.mediaAddress ?? '127.0.0.1',
          invite: opts.invite,
          dialer: opts.dialer,
          agents: this.agents,
          engine: this.engine,
          callbacks: callbacksRepository(db, clock),
          trunks: trunksRepository(db, clock),
          lineTimeZone: (lineId) => linesRepository(db, clock).getLine(tenantId, lineId).then((l) => l.time_zone),
          ...(opts.callbackPollMs !== undefined ? { pollMs: opts.callbackPollMs } : {}),
        })
      : undefined;
  }

  /**
   * Applies agent edits from the store (skills, groups, wrap-up, added or removed agents) to live
   * routing. The API calls it after a change on this node; a timer picks up other nodes' changes.
   */
  async refreshAgents(): Promise<void> {
    try {
      for (const a of await this.agents.refresh()) this.engine.agentChanged(a);
    } catch (err) {
      this.opts.log.warn({ err: String(err) }, 'agents could not be re-read: routing keeps the last ones');
    }
  }

  /** Loads agents and queues and follows the phones (agents already registered are logged in). */
  async start(): Promise<void> {
    this.agentTimer = setInterval(() => void this.refreshAgents(), this.opts.agentRefreshMs ?? 10_000);
    this.agentTimer.unref();
    await this.agents.load();
    await this.engine.refresh();
    this.opts.phones.on('online', this.onOnline);
    this.opts.phones.on('offline', this.onOffline);
    for (const ext of this.opts.phones.onlineExtensions(this.opts.tenantSlug)) await this.agents.phoneOnline(ext);
    if (this.opts.runCallbacks !== false) await this.callbackWorker?.start();
    if (this.opts.runRetention !== false) this.retention.start();
  }

  async close(): Promise<void> {
    clearInterval(this.agentTimer);
    await this.retention.close();
    this.opts.phones.off('online', this.onOnline);
    this.opts.phones.off('offline', this.onOffline);
    await this.callbackWorker?.close();
    this.agents.close();
    await this.engine.close();
    await this.agents.flush();
  }

  get tenantId(): string {
    return this.opts.tenantId;
  }

  /** Whether this ACD serves the tenant. */
  serves(tenantId: string): boolean {
    return tenantId === this.opts.tenantId;
  }

  acdFor(tenantId: string): Promise<LiveAcd | undefined> {
    return Promise.resolve(this.serves(tenantId) ? this : undefined);
  }

  private async customerType(fc: FlowCall): Promise<WaitingCall['customerType']> {
    if (fc.variables['customer.vip'] === 'true') return 'vip';
    try {
      const prior = await this.opts.db
        .selectFrom('calls')
        .select('id')
        .where('tenant_id', '=', this.opts.tenantId)
        .where('caller', '=', fc.callerNumber)
        .where('id', '!=', fc.callId)
        .limit(1)
        .executeTakeFirst();
      return prior ? 'returning' : 'new';
    } catch {
      return 'new';
    }
  }

  private caller(fc: FlowCall): QueueCaller & { lineId: string } {
    return { ...fc, lineId: fc.lineId ?? '', ...pathAndDigits(fc.journey), say: fc.say };
  }

  /** The flow's queue node: wait, be answered, ask for a callback, or go where the queue says. */
  async queue(fc: FlowCall, target: Extract<FlowTarget, { kind: 'queue' }>): Promise<VisitEnd> {
    const customerType = await this.customerType(fc);
    const caller = this.caller(fc);
    const end = await this.engine.enter(caller, {
      queue: target.queue,
      customerType,
      ...(target.skills ? { skills: target.skills } : {}),
      ...(target.priority !== undefined ? { priority: target.priority } : {}),
    });
    if (end.end === 'no-queue') {
      if (!fc.call.signal.aborted) await fc.say(NO_QUEUE_TEXT);
    } else if (end.end === 'voicemail' && !fc.call.signal.aborted) {
      await this.voicemail(fc, { kind: 'voicemail', mailbox: target.queue, maxSeconds: 120 }, target.queue);
    }
    return end;
  }

  /** The flow's callback node: the caller picks a slot in the queue's calling windows. */
  async callback(fc: FlowCall, target: CallbackTarget): Promise<BookingResult | 'no-queue'> {
    const { db, clock, log, tenantId } = this.opts;
    const config = await queuesRepository(db, clock).get(tenantId, target.queue).then((q) => q.config, () => undefined);
    if (!config) {
      if (!fc.call.signal.aborted) await fc.say(NO_QUEUE_TEXT);
      return 'no-queue';
    }
    return bookScheduledCallback({ tenantId, clock, log, callbacks: callbacksRepository(db, clock) }, { ...this.caller(fc), say: fc.say }, target, config);
  }

  /**
   * The flow's voicemail node, or a queue's voicemail target (`fromQueue`: that queue's length
   * limit applies). The message belongs to the node's queue, else a queue named like the
   * mailbox: its agents call back. With no such queue the message is kept in the inbox with no
   * callback (a callback without a queue could never be worked).
   */
  async voicemail(fc: FlowCall, target: Extract<FlowTarget, { kind: 'voicemail' }>, fromQueue?: string): Promise<'saved' | 'empty' | 'failed'> {
    const { db, clock, log } = this.opts;
    const name = fromQueue ?? target.queue ?? target.mailbox;
    const config = await queuesRepository(db, clock).get(this.opts.tenantId, name).then((q) => q.config, () => undefined);
    if (!config && target.queue !== undefined) log.warn({ queue: target.queue }, 'voicemail node names no queue of the tenant: the message is kept, no callback');
    return leaveVoicemail(
      { ...this.opts, voicemails: voicemailsRepository(db, clock) },
      this.caller(fc),
      {
        maxSeconds: fromQueue !== undefined && config ? config.voicemail.maxSeconds : target.maxSeconds,
        ...(config ? { queue: config.name } : {}),
        createCallback: config?.voicemail.createCallback ?? false,
        ...(config ? { maxAttempts: config.callbacks.maxAttempts } : {}),
      },
    );
  }
}
