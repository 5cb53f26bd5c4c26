/**
 * The live queues of one tenant on this node (issue 4 §2–§4): callers wait here, the pure
 * router (src/acd/router.ts) decides on every change — a call enters, an agent becomes
 * available, and once a second while anyone waits (relaxation, overflow, max wait) — and
 * this engine carries its decisions out: ring the agent (AgentDialer, X-Surgeline headers,
 * ring timeout), on no answer set the agent away and put the call back at the front (never
 * to the same agent), on answer stop the hold music and bridge (recording per queue config),
 * and keep the queue_calls CDR and the call's journey. Each call's state goes through the
 * pure queue-call reducer and each agent's through the agent reducer, and every offer has
 * its own AbortSignal, so a hang-up on either side at any moment ends in a defined state.
 * '#' while waiting (the queue's callbackKey) records a keep-place callback and confirms it
 * only after the store has committed it (PRODUCT.md: durable before the caller hears so).
 */
import type { AudioStore } from '../../storage/audio-store.ts';
import path from 'node:path';
import type { Call } from '../../call/call.ts';
import type { Clock } from '../../clock.ts';
import type { JourneyEntry } from '../../flows/interpreter.ts';
import type { Logger } from '../../log.ts';
import type { MediaEngine } from '../../media/engine.ts';
import { recordingPath, type AgentDialer } from '../../agents/dialer.ts';
import type { CallbacksRepository } from '../../store/repositories/callbacks.ts';
import type { QueueCallsRepository, QueueOutcome } from '../../store/repositories/queue-calls.ts';
import type { QueuesRepository } from '../../store/repositories/queues.ts';
import type { RecordingsRepository } from '../../store/repositories/recordings.ts';
import { queueCallTransition, newQueueCall, type QueueCallEvent, type QueueCallState, type QueueCallStateName } from '../queue-call-state.ts';
import type { QueueConfig, QueueTarget } from '../queue-config.ts';
import { route, effectivePriority, type RoundRobinState } from '../router.ts';
import { estimateWaitMs, formatWait } from '../ewt.ts';
import { WaitHistory } from './wait-history.ts';
import type { AgentSnapshot, WaitingCall as RoutedCall } from '../types.ts';
import { QueueFigures, servesQueue, type QueueLive } from './queue-figures.ts';
import type { AgentRegistry } from './agent-registry.ts';
import { WaitingExperience } from './waiting.ts';
import { TierWatch, type TierChange } from './tier-watch.ts';
import { Conversations } from './conversations.ts';
import { Supervision } from './supervision.ts';

export interface QueueEngineOptions {
  readonly tenantId: string;
  /** Directory name of the tenant's recordings (its slug). */
  readonly tenantSlug: string;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly media: MediaEngine;
  readonly dialer: Pick<AgentDialer, 'ring' | 'connect'>;
  readonly agents: AgentRegistry;
  readonly queues: Pick<QueuesRepository, 'list'>;
  readonly queueCalls: QueueCallsRepository;
  readonly callbacks: Pick<CallbacksRepository, 'create'>;
  readonly recordings: Pick<RecordingsRepository, 'create'>;
  /** Takes each finished recording once its row is stored (default: it stays in the data directory). */
  readonly audio?: Pick<AudioStore, 'put'>;
  /** Average handle time when a queue has no answers yet (EWT fallback); default 180 s. */
  readonly ahtMs?: number;
  /** A queue's staffing tier changed (tier-watch.ts). */
  readonly onTier?: (change: TierChange) => void;
}

/** A caller handed to the queue by the flow's queue node. */
export interface QueueCaller {
  readonly call: Call;
  readonly callId: string;
  readonly lineId: string;
  readonly timeZone: string;
  readonly callerNumber: string;
  readonly journey: JourneyEntry[];
  readonly ivrPath: readonly string[];
  readonly digits: string;
  /** Speak a text to the caller (the runtime's prompt port). */
  say(text: string): Promise<unknown>;
  /** What a slot of the caller's line says now (comfort and peak-shifting messages). */
  slotText?(slot: string): string | null;
}

export interface EnterOptions {
  readonly queue: string;
  readonly skills?: readonly string[];
  readonly priority?: number;
  readonly customerType?: RoutedCall['customerType'];
}

export type VisitEnd =
  | { readonly end: 'answered' | 'abandoned' | 'callback' }
  | { readonly end: 'voicemail' }
  | { readonly end: 'to-flow'; readonly flow: string }
  | { readonly end: 'no-queue' };

interface Entry {
  qc: QueueCallState;
  readonly caller: QueueCaller;
  cdr: Promise<string | null>;
  offer?: AbortController;
  waiting?: WaitingExperience;
  readonly resolve: (v: VisitEnd) => void;
  target?: QueueTarget;
}

export const CALLBACK_FAILED_TEXT = '抱歉，目前無法為您登記回撥，請稍後再撥。再見。';

export class QueueEngine {
  private readonly configs = new Map<string, QueueConfig>();
  private readonly entries = new Map<string, Entry>();
  /** Answer times, handle times and held places per queue: the EWT's measured inputs. */
  private readonly history: WaitHistory;
  /** Agent → the CDR and time its wrap-up began. */
  private readonly wrapping = new Map<string, { tenantCdr: Promise<string | null>; since: number }>();
  private readonly figures = new QueueFigures();
  private rr: RoundRobinState = {};
  private scheduled = false;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly work = new Set<Promise<unknown>>();
  /** The staffing tiers in force per queue; their groups widen routing. */
  readonly tiers: TierWatch;
  /** Calls in conversation here (recording pause and resume). */
  readonly conversations: Conversations;
  /** Supervisors listening, whispering or barging in on them. */
  readonly supervision: Supervision;

  constructor(private readonly opts: QueueEngineOptions) {
    this.history = new WaitHistory(opts.clock);
    this.conversations = new Conversations(opts.media);
    this.supervision = new Supervision({ media: opts.media, dialer: opts.dialer, conversations: this.conversations, log: opts.log, now: () => opts.clock.wallNow() });
    this.tiers = new TierWatch({ clock: opts.clock, ...(opts.onTier ? { onChange: opts.onTier } : {}) });
    // Relaxation, overflow, max wait and tier release depend on time alone: look again every second.
    this.ticker = setInterval(() => {
      const tierChanged = this.updateTiers();
      if (this.entries.size > 0 || tierChanged) this.schedule();
    }, 1000);
    this.ticker.unref();
  }

  private updateTiers(): boolean {
    return this.tiers.update(this.configs.values(), (q) => this.liveFigures(q));
  }

  /** Reads the tenant's queue configurations (at start and whenever a call enters). */
  async refresh(): Promise<void> {
    const views = await this.opts.queues.list(this.opts.tenantId);
    this.configs.clear();
    for (const v of views) this.configs.set(v.name, v.config);
  }

  /** An agent's state changed (the registry's onChange): route again; close a finished wrap-up. */
  agentChanged(agent: AgentSnapshot): void {
    const w = this.wrapping.get(agent.id);
    if (w && agent.state !== 'wrap-up') {
      this.wrapping.delete(agent.id);
      const wrapMs = Math.max(0, this.opts.clock.wallNow() - w.since);
      this.track(w.tenantCdr.then((id) => (id ? this.opts.queueCalls.wrapUp(this.opts.tenantId, id, { wrapMs }) : undefined)), 'cdr wrap-up');
    }
    if (agent.state === 'available') this.schedule();
  }

  waitingCount(queue?: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.qc.state === 'waiting' && (queue === undefined || e.qc.call.queue === queue)) n++;
    return n;
  }

  /** Puts the caller in the queue; resolves when the visit ends (bridged call over, hang-up, callback, target). */
  async enter(caller: QueueCaller, o: EnterOptions): Promise<VisitEnd> {
    const { clock, log } = this.opts;
    await this.refresh().catch((err: unknown) => log.warn({ err: String(err) }, 'queue configs could not be read: using the last ones'));
    const config = this.configs.get(o.queue);
    if (!config) {
      log.warn({ callId: caller.call.sipCallId, queue: o.queue }, 'flow names a queue that does not exist');
      return { end: 'no-queue' };
    }
    const now = clock.wallNow();
    const qc = newQueueCall({
      id: caller.callId,
      queue: o.queue,
      enteredAt: now,
      firstEnteredAt: now,
      priority: o.priority ?? 0,
      customerType: o.customerType ?? 'new',
      lastAgentId: null,
      lastAgentAt: null,
      skills: [...(o.skills ?? [])],
      kind: 'call',
      requeuedAtFront: false,
      refusedBy: [],
    });
    let resolve!: (v: VisitEnd) => void;
    const done = new Promise<VisitEnd>((r) => (resolve = r));
    const cdr = this.opts.queueCalls
      .start(this.opts.tenantId, { callId: caller.callId, queue: o.queue, enteredAt: new Date(now) })
      .catch((err: unknown) => (log.error({ callId: caller.call.sipCallId, err: String(err) }, 'queue CDR not started'), null));
    const entry: Entry = { qc, caller, cdr, resolve };
    this.entries.set(caller.callId, entry);
    this.note(caller, 'queue.entered', o.queue);
    log.info({ callId: caller.call.sipCallId, call: caller.callId, queue: o.queue, customerType: qc.call.customerType }, 'caller queued');
    const gone = (): void => this.callerGone(entry);
    caller.call.signal.addEventListener('abort', gone, { once: true });
    if (caller.call.signal.aborted) gone();
    else {
      entry.waiting = new WaitingExperience(this.opts.media, caller.call, config, {
        position: () => (entry.qc.state === 'waiting' ? this.positionOf(entry) : undefined),
        callbackWhen: (ewt) => this.callbackWhen(caller, ewt),
        onEwtSpoken: (ewt) => void this.track(entry.cdr.then((id) => (id ? this.opts.queueCalls.announced(this.opts.tenantId, id, ewt) : undefined)), 'cdr ewt'),
        onCallbackKey: () => void this.track(this.requestCallback(entry), 'callback'),
        say: (text) => caller.say(text),
        slotText: (slot) => caller.slotText?.(slot) ?? null,
        enteredAt: now,
        now: () => clock.wallNow(),
      });
      this.schedule();
    }
    try {
      return await done;
    } finally {
      caller.call.signal.removeEventListener('abort', gone);
      this.entries.delete(caller.callId);
    }
  }

  /** Place in line among the calls of its queue, in the router's order of service, and the EWT. */
  positionOf(entry: Entry): { position: number; ewtMs: number | undefined } {
    const me = entry.qc.call;
    const config = this.configs.get(me.queue);
    let position = 1;
    for (const e of this.entries.values()) {
      const c = e.qc.call;
      if (e === entry || e.qc.state !== 'waiting' || c.queue !== me.queue || !config) continue;
      if (before(config, c, me)) position++;
    }
    // Keep-place callbacks hold places too: the agents will serve those callers first.
    position += this.history.heldBefore(me.queue, me.firstEnteredAt);
    const now = this.opts.clock.wallNow();
    const staffed = this.opts.agents.snapshots().filter((a) => a.state !== 'offline' && a.state !== 'break' && servesQueue(config, a)).length;
    const ewtMs = estimateWaitMs({
      position,
      ...this.history.measures(me.queue, now),
      agentsStaffed: staffed,
      ahtMs: this.opts.ahtMs ?? 180_000,
      now,
    });
    return { position, ewtMs };
  }

  private callbackWhen(caller: QueueCaller, ewtMs: number | undefined): string {
    if (ewtMs === undefined || ewtMs < 30 * 60_000) return `${formatWait(ewtMs ?? 60_000, 'rounded')}後`;
    const at = new Date(this.opts.clock.wallNow() + ewtMs);
    const hm = new Intl.DateTimeFormat('zh-TW', { timeZone: caller.timeZone, hour: 'numeric', minute: '2-digit', hour12: false }).format(at);
    return `${hm}左右`;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.routeNow();
    });
  }

  private routeNow(): void {
    const waiting: RoutedCall[] = [];
    const queues = new Map<string, QueueConfig>();
    for (const e of this.entries.values()) {
      if (e.qc.state !== 'waiting') continue;
      waiting.push(e.qc.call);
      const c = this.configs.get(e.qc.call.queue);
      if (c) queues.set(c.name, c);
    }
    if (waiting.length === 0) return;
    for (const c of this.configs.values()) queues.set(c.name, c); // overflow targets
    this.updateTiers();
    const { decisions, rr } = route({ queues: [...queues.values()], waiting, agents: this.opts.agents.snapshots(), now: this.opts.clock.wallNow(), rr: this.rr, extraGroups: this.tiers.extraGroups() });
    this.rr = rr;
    for (const d of decisions) {
      const entry = this.entries.get(d.callId);
      if (!entry || entry.qc.state !== 'waiting') continue;
      if (d.kind === 'offer') {
        if (!this.opts.agents.apply(d.agentId, { type: 'offer' })) continue;
        if (!this.step(entry, { type: 'offer', agentId: d.agentId })) {
          this.opts.agents.apply(d.agentId, { type: 'reject' });
          continue;
        }
        this.track(this.offer(entry, d.agentId), 'offer');
      } else if (d.kind === 'overflow') {
        this.moveTo(entry, d.to, 'overflow');
      } else {
        this.toTarget(entry, d.target);
      }
    }
  }

  private moveTo(entry: Entry, queue: string, outcome: QueueOutcome): void {
    if (!this.configs.has(queue) || !this.step(entry, { type: 'overflow', queue })) return;
    const now = this.opts.clock.wallNow();
    this.endCdr(entry, outcome);
    entry.cdr = this.opts.queueCalls
      .start(this.opts.tenantId, { callId: entry.caller.callId, queue, enteredAt: new Date(now) })
      .catch(() => null);
    this.note(entry.caller, 'queue.entered', queue);
    this.schedule();
  }

  private toTarget(entry: Entry, target: QueueTarget): void {
    this.note(entry.caller, 'queue.target', target.kind);
    switch (target.kind) {
      case 'queue':
        return this.moveTo(entry, target.queue, 'target');
      case 'callback':
        void this.track(this.requestCallback(entry), 'callback');
        return;
      case 'voicemail':
      case 'flow':
        if (!this.step(entry, { type: target.kind === 'voicemail' ? 'voicemail' : 'to-flow' })) return;
        this.endCdr(entry, target.kind === 'voicemail' ? 'voicemail' : 'target');
        void entry.waiting?.stop().then(() => entry.resolve(target.kind === 'flow' ? { end: 'to-flow', flow: target.flow } : { end: 'voicemail' }));
        return;
    }
  }

  /** Rings the agent and, when answered, bridges until either side hangs up. */
  private async offer(entry: Entry, agentId: string): Promise<void> {
    const { agents, dialer, log, clock, tenantId } = this.opts;
    const agent = agents.get(agentId)!;
    const { caller } = entry;
    const config = this.configs.get(entry.qc.call.queue)!;
    const ac = new AbortController();
    entry.offer = ac;
    this.note(caller, 'queue.offered', agent.extension);
    this.track(entry.cdr.then((id) => (id ? this.opts.queueCalls.offered(tenantId, id) : undefined)), 'cdr offered');
    const offeredAt = clock.wallNow();
    const res = await dialer.ring({
      extension: agent.extension,
      callerLeg: caller.call.legId,
      callerCodec: caller.call.audio.codec.name === 'PCMA' ? 'PCMA' : 'PCMU',
      callId: caller.callId,
      caller: caller.callerNumber,
      ivrPath: caller.ivrPath,
      queue: entry.qc.call.queue,
      ringTimeoutMs: config.ringTimeoutSeconds * 1000,
      signal: ac.signal,
    });
    entry.offer = undefined;
    if (entry.qc.state !== 'offered' || entry.qc.agentId !== agentId) {
      // The caller hung up or asked for a callback while the phone rang.
      if (res.kind === 'answered') {
        await res.session.bye().catch(() => undefined);
        await this.opts.media.release(res.legId).catch(() => undefined);
      }
      agents.apply(agentId, { type: 'hangup' });
      return;
    }
    if (res.kind !== 'answered') {
      log.info({ callId: caller.call.sipCallId, agent: agent.extension, result: res.kind, ...('status' in res ? { status: res.status } : {}) }, 'agent did not take the call: requeued at the front');
      this.note(caller, 'queue.not-answered', `${agent.extension} ${res.kind}`);
      this.step(entry, { type: res.kind === 'busy' ? 'reject' : 'no-answer' });
      // A phone that rang out or failed is set away; one that declined (busy) stays available.
      agents.apply(agentId, { type: res.kind === 'busy' ? 'reject' : 'no-answer' });
      this.schedule();
      return;
    }
    this.step(entry, { type: 'agent-answered' });
    agents.apply(agentId, { type: 'answer' });
    const now = clock.wallNow();
    this.history.answeredAt(entry.qc.call.queue, now);
    this.figures.record(entry.qc.call.queue, 'answered', now - entry.qc.call.enteredAt, now);
    this.note(caller, 'queue.answered', agent.extension);
    this.track(entry.cdr.then((id) => (id ? this.opts.queueCalls.answer(tenantId, id, { at: new Date(now), agentId }) : undefined)), 'cdr answer');
    await entry.waiting?.stop();
    if (caller.call.signal.aborted) {
      await res.session.bye().catch(() => undefined);
      await this.opts.media.release(res.legId).catch(() => undefined);
      this.step(entry, { type: 'caller-hangup' });
      agents.apply(agentId, { type: 'hangup' }, config.wrapUpSeconds);
      return this.finishAnswered(entry, agentId, config);
    }
    this.step(entry, { type: 'bridged' });
    const abs = config.recording.enabled ? recordingPath(this.opts.dataDir, this.opts.tenantSlug, caller.callId, now) : undefined;
    const talking = new AbortController();
    const left = this.conversations.add({
      callId: caller.callId, queue: config.name, agentId, agentExtension: agent.extension, legId: res.legId, recorded: abs !== undefined,
      callerLegId: caller.call.legId, callerCodec: caller.call.audio.codec.name === 'PCMA' ? 'PCMA' : 'PCMU', callerNumber: caller.callerNumber,
      ivrPath: caller.ivrPath, ended: talking.signal, note: (n, v) => this.note(caller, n, v),
    });
    const done = (): void => {
      left();
      talking.abort();
    };
    const result = await dialer
      .connect(
        { legId: caller.call.legId, session: caller.call.session },
        { legId: res.legId, session: res.session },
        abs ? { record: { path: abs, mode: config.recording.mode } } : {},
      )
      .finally(done);
    this.step(entry, { type: result.endedBy === 'agent' ? 'agent-hangup' : 'caller-hangup' });
    agents.apply(agentId, { type: 'hangup' }, config.wrapUpSeconds);
    this.history.handledIn(config.name, clock.wallNow() - offeredAt + config.wrapUpSeconds * 1000);
    if (result.recording) {
      const rec = result.recording;
      const key = path.relative(this.opts.dataDir, rec.path);
      // The row first: only then may the audio store move the file (its key is the row's path).
      this.track(
        this.opts.recordings
          .create(tenantId, {
            callId: caller.callId,
            queue: config.name,
            agentId,
            path: key,
            mode: config.recording.mode,
            startedAt: new Date(now),
            durationMs: rec.durationMs,
            pauses: rec.pauses,
          })
          .then(() => this.opts.audio?.put(key)),
        'recording row',
      );
    }
    this.finishAnswered(entry, agentId, config);
  }

  private finishAnswered(entry: Entry, agentId: string, _config: QueueConfig): void {
    this.endCdr(entry, 'answered');
    this.wrapping.set(agentId, { tenantCdr: entry.cdr, since: this.opts.clock.wallNow() });
    entry.resolve({ end: 'answered' });
  }

  /** The caller hung up: waiting or ringing an agent ends here; later states end in offer(). */
  private callerGone(entry: Entry): void {
    const s = entry.qc.state;
    if (s !== 'waiting' && s !== 'offered') return;
    this.step(entry, { type: 'caller-hangup' });
    this.figures.record(entry.qc.call.queue, 'abandoned', this.opts.clock.wallNow() - entry.qc.call.enteredAt, this.opts.clock.wallNow());
    entry.offer?.abort();
    this.endCdr(entry, 'abandoned');
    this.note(entry.caller, 'queue.abandoned', entry.qc.call.queue);
    void entry.waiting?.stop().catch(() => undefined);
    entry.resolve({ end: 'abandoned' });
  }

  /** '#': a keep-place callback, committed to the store before the caller is told. */
  private async requestCallback(entry: Entry): Promise<void> {
    const { log, clock, tenantId } = this.opts;
    const { caller } = entry;
    if (entry.qc.state !== 'waiting' && entry.qc.state !== 'offered') return;
    const pos = this.positionOf(entry);
    const config = this.configs.get(entry.qc.call.queue)!;
    this.step(entry, { type: 'request-callback' });
    entry.offer?.abort();
    await entry.waiting?.stop();
    const now = clock.wallNow();
    const due = new Date(now + (pos.ewtMs ?? 0));
    try {
      const cb = await this.opts.callbacks.create(tenantId, {
        lineId: caller.lineId,
        queue: config.name,
        callerNumber: caller.callerNumber,
        kind: 'keep-place',
        requestedAt: new Date(now),
        dueAt: due,
        nextAttemptAt: due,
        maxAttempts: config.callbacks.maxAttempts,
        ivrPath: [...caller.ivrPath],
        digits: caller.digits,
        callId: caller.callId,
        positionEnteredAt: new Date(entry.qc.call.firstEnteredAt),
      });
      this.note(caller, 'callback.id', cb.id);
      this.history.placeHeld(config.name, cb.id, entry.qc.call.firstEnteredAt);
      log.info({ callId: caller.call.sipCallId, callback: cb.id, queue: config.name }, 'callback recorded');
      this.endCdr(entry, 'callback');
      await caller.say(`已為您登記回撥，我們會在${this.callbackWhen(caller, pos.ewtMs)}回撥給您。感謝您的來電，再見。`);
    } catch (err) {
      log.error({ callId: caller.call.sipCallId, err: String(err) }, 'callback could not be recorded');
      this.note(caller, 'callback.failed', String(err).slice(0, 200));
      this.endCdr(entry, 'abandoned');
      await caller.say(CALLBACK_FAILED_TEXT);
    }
    entry.resolve({ end: 'callback' });
  }

  private endCdr(entry: Entry, outcome: QueueOutcome): void {
    const at = new Date(this.opts.clock.wallNow());
    this.track(entry.cdr.then((id) => (id ? this.opts.queueCalls.end(this.opts.tenantId, id, { at, outcome }) : undefined)), 'cdr end');
  }

  /** Applies a queue-call event; false (logged) when the state machine refuses it. */
  private step(entry: Entry, e: QueueCallEvent): boolean {
    try {
      entry.qc = queueCallTransition(entry.qc, e, this.opts.clock.wallNow());
      return true;
    } catch (err) {
      this.opts.log.warn({ call: entry.caller.callId, from: entry.qc.state, event: e.type, err: String(err) }, 'queue call event refused');
      return false;
    }
  }

  private note(caller: QueueCaller, name: string, value: string): void {
    caller.journey.push({ kind: 'set', at: this.opts.clock.wallNow(), node: 'queue', name, value });
  }

  private track(p: Promise<unknown>, what: string): Promise<unknown> {
    const q = p.catch((err: unknown) => this.opts.log.error({ err: String(err) }, `queue engine: ${what} failed`));
    this.work.add(q);
    void q.finally(() => this.work.delete(q));
    return q;
  }

  /** Live figures of a queue on this node: waiting, longest wait, agents by state, service level 15/60 min. */
  liveFigures(queue: string): QueueLive | undefined {
    const config = this.configs.get(queue);
    if (!config) return undefined;
    const entered: number[] = [];
    for (const e of this.entries.values()) if (e.qc.state === 'waiting' && e.qc.call.queue === queue) entered.push(e.qc.call.enteredAt);
    return this.figures.figures(config, entered, this.opts.agents.snapshots(), this.opts.clock.wallNow());
  }

  /** Callers waiting in `queue` who entered before `at`: a keep-place callback waits for them. */
  /** The callback worker took up (or gave up) a keep-place callback: its place is no longer held. */
  placeTaken(queue: string, id: string): void {
    this.history.placeTaken(queue, id);
  }

  waitingBefore(queue: string, at: number): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.qc.state === 'waiting' && e.qc.call.queue === queue && e.qc.call.firstEnteredAt < at) n++;
    return n;
  }

  configOf(queue: string): QueueConfig | undefined {
    return this.configs.get(queue);
  }

  /**
   * The available agent the router would give a callback of `queue` now (a callback is
   * offered to the agent first, then the caller is dialled), or undefined.
   */
  agentForCallback(queue: string, id: string, enteredAt: number): AgentSnapshot | undefined {
    const config = this.configs.get(queue);
    if (!config) return undefined;
    const call: RoutedCall = {
      id,
      queue,
      enteredAt,
      firstEnteredAt: enteredAt,
      priority: 0,
      customerType: 'new',
      lastAgentId: null,
      lastAgentAt: null,
      skills: [],
      kind: 'callback',
      requeuedAtFront: false,
      refusedBy: [],
    };
    const { decisions } = route({ queues: [config], waiting: [call], agents: this.opts.agents.snapshots(), now: this.opts.clock.wallNow(), rr: this.rr, extraGroups: this.tiers.extraGroups() });
    const offer = decisions.find((d) => d.kind === 'offer');
    return offer?.kind === 'offer' ? this.opts.agents.get(offer.agentId) : undefined;
  }

  /** The state of a call in the queue (tests, the live API). */
  stateOf(callId: string): QueueCallStateName | undefined {
    return this.entries.get(callId)?.qc.state;
  }

  /** Waits for pending store writes; stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.ticker);
    await Promise.allSettled([...this.work]);
  }

  /** No caller in any queue of this engine. */
  isIdle(): boolean {
    return this.entries.size === 0;
  }
}

/** Whether `a` is served before `b` in the same queue (the router's order). */
function before(config: QueueConfig, a: RoutedCall, b: RoutedCall): boolean {
  const pa = effectivePriority(config, a);
  const pb = effectivePriority(config, b);
  if (pa !== pb) return pa > pb;
  if (a.requeuedAtFront !== b.requeuedAtFront) return a.requeuedAtFront;
  if (a.firstEnteredAt !== b.firstEnteredAt) return a.firstEnteredAt < b.firstEnteredAt;
  return a.id < b.id;
}
