/**
 * The callback worker (issue 4 §4): on a timer it claims due callbacks of the tenant
 * (callbacks.claimDue, atomic across nodes), and inside the queue's calling windows (and,
 * for queues flagged idleFirst, only when nobody waits in the queue) works them, one per free
 * agent and several at once (a surge leaves a backlog that one call at a time would never
 * clear; maxConcurrent bounds it): for each, the agent
 * the router picks is offered the callback FIRST (ringing with the X-Surgeline headers, the
 * caller's number and IVR path), then the caller is dialled through the tenant's outbound
 * trunk (the number as the user part of the trunk URI, src/ivr/transfer.ts; digest answered
 * from the trunk's stored HA1, RFC 7616 §3.4.2) and the two are bridged. Results: done
 * (talked), retry with the queue's spacing (the caller did not answer: failed after
 * maxAttempts, by the repository), or released without counting an attempt (no agent free,
 * outside the window, the agent did not answer, callers who were ahead of a keep-place
 * callback still waiting: it is worked when its turn comes, not before). A kill -9 leaves claimed rows in-progress:
 * start() gives this worker's claims back (releaseClaims) so they are worked again.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { LegId, MediaEngine } from '../../media/engine.ts';
import { configOf as audioConfigOf } from '../../call/call-manager.ts';
import { marshalSdp, parseSdp } from '../../media/sdp.ts';
import { createOffer, parseAnswer } from '../../media/sdp-negotiate.ts';
import type { AgentDialer } from '../../agents/dialer.ts';
import type { InviteOptions } from '../../sip/ua/outbound-invite.ts';
import { InviteFailedError } from '../../sip/ua/outbound-invite.ts';
import type { SipSession } from '../../sip/ua/session.ts';
import { escapeUser } from '../../sip/uri.ts';
import { trunkTarget } from '../../ivr/transfer.ts';
import type { CallbacksRepository, CallbackView } from '../../store/repositories/callbacks.ts';
import type { TrunksRepository } from '../../store/repositories/trunks.ts';
import { inCallingWindow } from '../calling-window.ts';
import type { AgentRegistry } from './agent-registry.ts';
import type { QueueEngine } from './queue-engine.ts';

export interface CallbackWorkerOptions {
  readonly tenantId: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly media: MediaEngine;
  readonly mediaAddress: string;
  readonly invite: (opts: InviteOptions) => Promise<SipSession>;
  readonly dialer: Pick<AgentDialer, 'ring' | 'connect'>;
  readonly agents: AgentRegistry;
  readonly engine: Pick<QueueEngine, 'configOf' | 'agentForCallback' | 'waitingCount' | 'waitingBefore' | 'refresh'> & Partial<Pick<QueueEngine, 'placeTaken'>>;
  readonly callbacks: CallbacksRepository;
  readonly trunks: Pick<TrunksRepository, 'dialInfo'>;
  /** The zone of a callback's line: its calling windows are read there. */
  readonly lineTimeZone?: (lineId: string) => Promise<string | undefined>;
  /** Calling windows of a callback without a (known) line are read in this zone; default Asia/Taipei. */
  readonly timeZone?: string;
  /** Default 5000 ms. */
  readonly pollMs?: number;
  /** Callbacks in progress at once on this node (each holds an agent); default 50. */
  readonly maxConcurrent?: number;
  /** This node's claim tag; default 'callback-worker'. */
  readonly claimedBy?: string;
  /** How long the caller's phone may ring; default 30 s. */
  readonly dialTimeoutMs?: number;
}

export class CallbackWorker {
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy: Promise<void> | undefined;
  private readonly claimedBy: string;
  /** Callback calls in progress (agent rung, caller dialled, talking). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: CallbackWorkerOptions) {
    this.claimedBy = opts.claimedBy ?? 'callback-worker';
  }

  async start(): Promise<void> {
    const n = await this.opts.callbacks.releaseClaims(this.claimedBy, new Date(this.opts.clock.wallNow()));
    if (n > 0) this.opts.log.info({ released: n }, 'callbacks claimed before a restart are due again');
    this.timer = setInterval(() => void this.tick(), this.opts.pollMs ?? 5000);
    this.timer.unref();
  }

  /**
   * One round: claim due callbacks one by one and start each for which an agent is free; the
   * round ends at the first that cannot be started now (no agent, outside its window, callers
   * ahead of it), so it is released and later ones wait their turn. Resolves when the calls
   * have started; drain() waits for them to end.
   */
  tick(): Promise<void> {
    this.busy ??= this.round()
      .catch((err: unknown) => this.opts.log.error({ err: String(err) }, 'callback worker round failed'))
      .finally(() => (this.busy = undefined));
    return this.busy;
  }

  /** The current round and every callback call in progress, to their end. */
  async drain(): Promise<void> {
    await this.busy;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  get inProgress(): number {
    return this.inFlight.size;
  }

  private async round(): Promise<void> {
    const { callbacks, tenantId, clock } = this.opts;
    const max = this.opts.maxConcurrent ?? 50;
    while (this.inFlight.size < max) {
      const [cb] = await callbacks.claimDue(new Date(clock.wallNow()), 1, { tenantId, claimedBy: this.claimedBy });
      if (!cb) return;
      let call: Promise<void> | undefined;
      try {
        call = (await this.begin(cb))?.call;
      } catch (err) {
        this.fail(cb, err);
        await callbacks.release(tenantId, cb.id, new Date(clock.wallNow())).catch(() => undefined);
      }
      if (!call) return;
      const tracked: Promise<void> = call
        .catch(async (err: unknown) => {
          this.fail(cb, err);
          await callbacks.release(tenantId, cb.id, new Date(clock.wallNow())).catch(() => undefined);
        })
        .finally(() => this.inFlight.delete(tracked));
      this.inFlight.add(tracked);
    }
  }

  private fail(cb: CallbackView, err: unknown): void {
    this.opts.log.error({ callback: cb.id, err: String(err) }, 'callback attempt failed');
  }

  /** Checks and the agent's offer; the call itself (ring, dial, talk) is the returned promise, or undefined when released. */
  private async begin(cb: CallbackView): Promise<{ call: Promise<void> } | undefined> {
    const { callbacks, tenantId, clock, log, agents } = this.opts;
    const now = (): Date => new Date(clock.wallNow());
    const release = (why: string): Promise<unknown> => {
      log.debug({ callback: cb.id, why }, 'callback not worked now');
      return callbacks.release(tenantId, cb.id, now());
    };
    await this.opts.engine.refresh().catch(() => undefined);
    const queue = cb.queue ?? '';
    const config = this.opts.engine.configOf(queue);
    if (!config) {
      await callbacks.fail(tenantId, cb.id, { at: now(), result: `no queue "${queue}"` });
      return undefined;
    }
    const lineZone = cb.lineId !== null ? await this.opts.lineTimeZone?.(cb.lineId).catch(() => undefined) : undefined;
    const zone = lineZone ?? this.opts.timeZone ?? 'Asia/Taipei';
    if (!inCallingWindow(config.callbacks.windows, clock.wallNow(), zone)) return void (await release('outside the calling window'));
    if (config.callbacks.idleFirst && this.opts.engine.waitingCount(queue) > 0) return void (await release('callers are waiting'));
    // Keep-place: the callback holds the caller's place, so callers who were ahead go first.
    const place = (cb.positionEnteredAt ?? cb.requestedAt).getTime();
    if (cb.kind === 'keep-place' && this.opts.engine.waitingBefore(queue, place) > 0) return void (await release('callers ahead of it are waiting'));
    const agent = this.opts.engine.agentForCallback(queue, cb.id, place);
    if (!agent || !agents.apply(agent.id, { type: 'offer' })) return void (await release('no agent free'));
    // From here the callback is agent time, no longer a place in line (EWT of callers behind it).
    this.opts.engine.placeTaken?.(queue, cb.id);
    // Wrapped: an async function returning a promise would wait for the whole call.
    return { call: this.work(cb, agent, config, release, now) };
  }

  /** The agent first, then the caller through the trunk, then the bridge until either hangs up. */
  private async work(
    cb: CallbackView,
    agent: { id: string; extension: string },
    config: NonNullable<ReturnType<CallbackWorkerOptions['engine']['configOf']>>,
    release: (why: string) => Promise<unknown>,
    now: () => Date,
  ): Promise<void> {
    const { callbacks, tenantId, log, media, dialer, agents } = this.opts;
    const queue = config.name;
    // A leg for the caller's side is taken now so the agent's is placed near it.
    const leg = await media.allocate();
    try {
      const ring = await dialer.ring({
        extension: agent.extension,
        callerLeg: leg.legId,
        callerCodec: 'PCMU',
        callId: cb.callId ?? cb.id,
        caller: cb.callerNumber,
        ivrPath: cb.ivrPath,
        queue,
        ringTimeoutMs: config.ringTimeoutSeconds * 1000,
      });
      if (ring.kind !== 'answered') {
        agents.apply(agent.id, { type: ring.kind === 'busy' ? 'reject' : 'no-answer' });
        await release(`agent ${agent.extension}: ${ring.kind}`);
        return;
      }
      agents.apply(agent.id, { type: 'answer' });
      const dialled = await this.dialCaller(cb, leg, ring.session.signal);
      if (!dialled.ok) {
        await ring.session.bye().catch(() => undefined);
        await media.release(ring.legId).catch(() => undefined);
        agents.apply(agent.id, { type: 'hangup' }, config.wrapUpSeconds);
        const after = await callbacks.retry(tenantId, cb.id, { at: now(), result: dialled.reason, spacingMs: config.callbacks.retrySpacingSeconds * 1000, agentId: agent.id });
        log.info({ callback: cb.id, state: after.state, reason: dialled.reason }, 'callback: the caller was not reached');
        return;
      }
      log.info({ callback: cb.id, agent: agent.extension, callee: cb.callerNumber }, 'callback: caller answered, bridging to the agent');
      const result = await dialer.connect({ legId: leg.legId, session: dialled.session }, { legId: ring.legId, session: ring.session });
      agents.apply(agent.id, { type: 'hangup' }, config.wrapUpSeconds);
      await callbacks.complete(tenantId, cb.id, { at: now(), agentId: agent.id, result: `talked ${Math.round(result.talkMs / 1000)} s` });
    } finally {
      await media.release(leg.legId).catch(() => undefined);
    }
  }

  /** Dials the caller through the tenant's trunk from `leg`; the agent hanging up meanwhile aborts it. */
  private async dialCaller(
    cb: CallbackView,
    leg: { legId: LegId; port: number },
    signal: AbortSignal,
  ): Promise<{ ok: true; session: SipSession } | { ok: false; reason: string }> {
    const { media, mediaAddress } = this.opts;
    let trunk;
    try {
      trunk = await this.opts.trunks.dialInfo(this.opts.tenantId);
    } catch {
      return { ok: false, reason: 'no outbound trunk' };
    }
    try {
      const offer = createOffer({ address: mediaAddress, port: leg.port, codecs: ['PCMU', 'PCMA'], telephoneEvent: true });
      const host = mediaAddress.includes(':') ? `[${mediaAddress}]` : mediaAddress;
      const session = await this.opts.invite({
        uri: trunkTarget(trunk.uri, cb.callerNumber),
        from: `sip:${escapeUser(trunk.callerId ?? 'surgeline')}@${host}`,
        sdp: Buffer.from(marshalSdp(offer)),
        ...(trunk.ha1Md5 && trunk.username && trunk.realm ? { credentials: { username: trunk.username, realm: trunk.realm, ha1: trunk.ha1Md5 } } : {}),
        signal,
        timeoutMs: this.opts.dialTimeoutMs ?? 30_000,
      });
      await media.configure(leg.legId, audioConfigOf(parseAnswer(offer, parseSdp(session.remoteSdp.toString('utf8')))));
      return { ok: true, session };
    } catch (err) {
      return { ok: false, reason: err instanceof InviteFailedError ? `${err.status} ${err.reasonPhrase}` : String(err) };
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
  }
}
