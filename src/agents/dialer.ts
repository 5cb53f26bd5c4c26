/**
 * Ringing an agent and connecting the caller to them (a signalling and media B2BUA, RFC
 * 7092 §3.1, like src/ivr/transfer.ts). ring() sends an INVITE (RFC 3261 §13.2) to every
 * registered contact of the agent's extension at once (parallel forking, §16.7 done by
 * us as the UAC): the first to answer wins and the others are CANCELled (§9.1); a phone
 * that answers in the same instant gets a BYE. The INVITE carries headers that identify
 * the call so a softphone or desktop can pop the customer's record:
 *
 *   X-Surgeline-Call-Id   our call id
 *   X-Surgeline-Caller    the caller's number
 *   X-Surgeline-Ivr-Path  the IVR nodes the caller went through, each URI-encoded, '/'-joined
 *   X-Surgeline-Queue     the queue the call waited in
 *
 * The media leg is taken on the caller's worker (allocate { near }) so the two can be
 * bridged, offered in the caller's codec first (no transcoding when the phone agrees) and
 * configured from the agent's answer. Outcomes are reported, not thrown: answered,
 * no-answer (ring timeout, 408, 480), busy (486, 600, 603), failed, or cancelled (the
 * caller's signal aborted while ringing: CANCEL sent). connect() bridges the two legs,
 * optionally records, and when either side hangs up ends the other and frees the agent's leg.
 */
import { probeDialog } from './dialog-probe.ts';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.ts';
import type { G711Codec, LegId, MediaEngine, RecordMode } from '../media/engine.ts';
import type { RecordingResult } from '../media/recorder.ts';
import { marshalSdp, parseSdp } from '../media/sdp.ts';
import { answerOffer, createOffer, parseAnswer, type AudioCodecName, type NegotiatedAudio } from '../media/sdp-negotiate.ts';
import { configOf } from '../call/call-manager.ts';
import type { Binding } from '../sip/registrar.ts';
import { InviteFailedError, type InviteOptions } from '../sip/ua/outbound-invite.ts';
import type { SessionEnd, SipSession } from '../sip/ua/session.ts';
import { escapeUser } from '../sip/uri.ts';

export interface AgentDialerOptions {
  readonly invite: (opts: InviteOptions) => Promise<SipSession>;
  readonly media: MediaEngine;
  /** The address our SDP advertises (and the host of our From URI). */
  readonly mediaAddress: string;
  /** Registered contacts of an extension, best first (AgentPhones.contacts). */
  readonly contacts: (extension: string) => Promise<readonly Binding[]>;
  readonly log: Logger;
  /**
   * End a conversation when the agent's phone has sent no RTP for this long (a phone that
   * died or lost its network mid-call; a phone on hold with a=inactive is not counted).
   * 0 or unset: off. SURGELINE_AGENT_RTP_TIMEOUT.
   */
  readonly agentRtpTimeoutMs?: number;
  /**
   * Probe the agent's phone with an in-dialog OPTIONS this often during a conversation
   * (dialog-probe.ts): no answer (the transaction times out), 481 or 408 ends the call as the
   * agent's hang-up. 0 or unset: off. SURGELINE_AGENT_KEEPALIVE (default 30 s in the app).
   */
  readonly agentKeepaliveMs?: number;
}

export interface RingOptions {
  readonly extension: string;
  /** The caller's media leg (the agent's leg is placed on its worker) and its codec. */
  readonly callerLeg: LegId;
  readonly callerCodec: G711Codec;
  /** Our id of the call (X-Surgeline-Call-Id). */
  readonly callId: string;
  /** The caller's number (X-Surgeline-Caller, and From shown on the phone). */
  readonly caller: string;
  readonly ivrPath: readonly string[];
  readonly queue: string;
  /** CANCEL after this long without an answer. */
  readonly ringTimeoutMs: number;
  /** Abort to stop ringing (the caller hung up): CANCEL. */
  readonly signal?: AbortSignal;
  /** More headers for the phone (e.g. X-Surgeline-Supervise). */
  readonly headers?: readonly (readonly [string, string])[];
}

export type RingResult =
  | {
      readonly kind: 'answered';
      readonly session: SipSession;
      readonly legId: LegId;
      /** The contact that answered. */
      readonly contact: string;
      readonly audio: NegotiatedAudio;
    }
  | { readonly kind: 'no-answer'; readonly status: number; readonly reason: string }
  | { readonly kind: 'busy'; readonly status: number; readonly reason: string }
  | { readonly kind: 'failed'; readonly status?: number; readonly reason: string }
  | { readonly kind: 'cancelled' };

/** A party of a bridge: its media leg and its SIP session. */
export interface BridgeParty {
  readonly legId: LegId;
  readonly session: SipSession;
}

export interface ConnectOptions {
  /**
   * Record the conversation. Written from the agent's leg: in 'stereo' the agent is the
   * left channel and the caller the right; 'mixed' sums both into one 16-bit channel.
   */
  readonly record?: { readonly path: string; readonly mode: Extract<RecordMode, 'stereo' | 'mixed'> };
  /** Abort to end the conversation from our side (BYE to both). */
  readonly signal?: AbortSignal;
}

export interface ConnectResult {
  /** Who ended it: the caller's or the agent's session, or our signal. */
  readonly endedBy: 'caller' | 'agent' | 'signal';
  readonly end?: SessionEnd;
  /** Bridged time. */
  readonly talkMs: number;
  readonly recording?: RecordingResult;
  /** The agent's phone stopped sending audio (agentRtpTimeoutMs) and the call was ended for it. */
  readonly agentSilent?: boolean;
  /** The agent's phone stopped answering in-dialog OPTIONS (agentKeepaliveMs): why. */
  readonly agentGone?: string;
}

const NO_ANSWER = new Set([408, 480, 487]);
const BUSY = new Set([486, 600, 603]);

/** Header values: no control characters (CR/LF would inject headers), bounded length. */
function clean(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 256);
}

/** X-Surgeline-Ivr-Path: each node name URI-encoded (so '/' and non-ASCII survive), joined by '/'. */
export function formatIvrPath(nodes: readonly string[]): string {
  return nodes.map((n) => encodeURIComponent(n)).join('/');
}

export function parseIvrPath(value: string): string[] {
  return value === '' ? [] : value.split('/').map((n) => decodeURIComponent(n));
}

/** SIP recording path under the data directory: recordings/<tenant>/<yyyy-mm-dd UTC>/<call>.wav. */
export function recordingPath(dataDir: string, tenant: string, callId: string, at: number): string {
  const day = new Date(at).toISOString().slice(0, 10);
  return path.join(dataDir, 'recordings', tenant, day, `${callId.replace(/[^A-Za-z0-9_.-]/g, '_')}.wav`);
}

type ForkOutcome = { readonly ok: true; readonly session: SipSession; readonly binding: Binding } | { readonly ok: false; readonly error: unknown };

export class AgentDialer {
  constructor(private readonly opts: AgentDialerOptions) {}

  async ring(r: RingOptions): Promise<RingResult> {
    const { media, log } = this.opts;
    if (r.signal?.aborted) return { kind: 'cancelled' };
    const contacts = await this.opts.contacts(r.extension);
    if (contacts.length === 0) return { kind: 'failed', reason: `extension ${r.extension} has no registered phone` };
    if (r.signal?.aborted) return { kind: 'cancelled' };

    let leg: { legId: LegId; port: number };
    try {
      leg = await media.allocate({ near: r.callerLeg });
    } catch (err) {
      return { kind: 'failed', reason: `no media leg: ${String(err)}` };
    }
    const codecs: AudioCodecName[] = r.callerCodec === 'PCMA' ? ['PCMA', 'PCMU'] : ['PCMU', 'PCMA'];
    const offer = createOffer({ address: this.opts.mediaAddress, port: leg.port, codecs, telephoneEvent: true });
    const sdp = Buffer.from(marshalSdp(offer));
    const host = this.opts.mediaAddress.includes(':') ? `[${this.opts.mediaAddress}]` : this.opts.mediaAddress;
    const caller = clean(r.caller) || 'anonymous';
    const headers: [string, string][] = [
      ['X-Surgeline-Call-Id', clean(r.callId)],
      ['X-Surgeline-Caller', caller],
      ['X-Surgeline-Ivr-Path', clean(formatIvrPath(r.ivrPath))],
      ['X-Surgeline-Queue', clean(r.queue)],
      ...(r.headers ?? []).map(([k, v]): [string, string] => [k, clean(v)]),
    ];

    // One INVITE per contact, each with its own abort (the loser forks are CANCELled).
    const forks = contacts.map((binding) => {
      const ac = new AbortController();
      const outcome: Promise<ForkOutcome> = this.opts
        .invite({
          uri: binding.contact,
          ...(binding.source ? { dest: binding.source } : {}),
          to: `sip:${binding.aor}`,
          from: `sip:${escapeUser(caller)}@${host}`,
          fromName: caller,
          sdp,
          headers,
          signal: ac.signal,
          timeoutMs: r.ringTimeoutMs,
        })
        .then(
          (session) => ({ ok: true as const, session, binding }),
          (error: unknown) => ({ ok: false as const, error }),
        );
      return { ac, binding, outcome };
    });
    const abortAll = (): void => {
      for (const f of forks) f.ac.abort();
    };
    r.signal?.addEventListener('abort', abortAll, { once: true });

    let winner: { session: SipSession; binding: Binding } | undefined;
    const failures: unknown[] = [];
    try {
      await new Promise<void>((resolve) => {
        let pending = forks.length;
        for (const f of forks) {
          void f.outcome.then((o) => {
            if (o.ok) {
              if (winner === undefined) {
                winner = { session: o.session, binding: o.binding };
                for (const other of forks) if (other !== f) other.ac.abort();
                resolve();
              } else {
                void o.session.bye(); // answered in the same instant as the winner
              }
            } else failures.push(o.error);
            if (--pending === 0) resolve();
          });
        }
      });
    } finally {
      r.signal?.removeEventListener('abort', abortAll);
    }

    if (!winner) {
      await media.release(leg.legId).catch(() => undefined);
      if (r.signal?.aborted) return { kind: 'cancelled' };
      return classify(failures);
    }
    const { session, binding } = winner;
    if (r.signal?.aborted || session.isEnded) {
      await session.bye().catch(() => undefined);
      await media.release(leg.legId).catch(() => undefined);
      return r.signal?.aborted ? { kind: 'cancelled' } : { kind: 'failed', reason: 'the agent hung up as the call was answered' };
    }
    try {
      const audio = parseAnswer(offer, parseSdp(session.remoteSdp.toString('utf8')));
      const silence = this.opts.agentRtpTimeoutMs ? { rtpTimeoutMs: this.opts.agentRtpTimeoutMs } : {};
      await media.configure(leg.legId, { ...configOf(audio), ...silence });
      session.handlers = {
        ...session.handlers,
        // Hold/resume or a codec change from the phone (RFC 3264 §8): answer and reconfigure.
        reoffer: async (body) => {
          const again = answerOffer(parseSdp(body.toString('utf8')), {
            address: this.opts.mediaAddress,
            port: leg.port,
            codecs: [audio.codec.name],
            telephoneEvent: audio.telephoneEventPt !== undefined,
            previous: parseSdp(session.localSdp.toString('utf8')),
          });
          await media.configure(leg.legId, { ...configOf(again), ...silence });
          return Buffer.from(marshalSdp(again.answer));
        },
      };
      log.info({ callId: r.callId, agent: r.extension, agentCallId: session.callId, queue: r.queue }, 'agent answered');
      return { kind: 'answered', session, legId: leg.legId, contact: binding.contact, audio };
    } catch (err) {
      log.warn({ callId: r.callId, agent: r.extension, err: String(err) }, 'agent answer unusable: hanging up');
      await session.bye().catch(() => undefined);
      await media.release(leg.legId).catch(() => undefined);
      return { kind: 'failed', reason: `unusable answer: ${String(err)}` };
    }
  }

  /**
   * Bridge the caller and the agent until either hangs up (or `signal` aborts), then BYE
   * the other side, finalise the recording and free the agent's leg. The caller's leg
   * belongs to the caller's call (its manager frees it when the caller's session ends).
   */
  async connect(caller: BridgeParty, agent: BridgeParty, opts: ConnectOptions = {}): Promise<ConnectResult> {
    const { media, log } = this.opts;
    let recording: RecordingResult | undefined;
    let bridgedAt: number | undefined;
    let silent: ((e: { legId: LegId }) => void) | undefined;
    let agentSilent = false;
    let agentGone: string | undefined;
    let stopProbe: (() => void) | undefined;
    // The first of: the caller's session ends, the agent's ends, our signal aborts.
    let first: { endedBy: ConnectResult['endedBy']; end?: SessionEnd } | undefined;
    const over = new Promise<void>((resolve) => {
      const done = (endedBy: ConnectResult['endedBy'], end?: SessionEnd): void => {
        first ??= end ? { endedBy, end } : { endedBy };
        resolve();
      };
      void caller.session.ended.then((e) => done('caller', e));
      void agent.session.ended.then((e) => done('agent', e));
      // The agent's phone went silent (agentRtpTimeoutMs): it is gone; end the call as its hang-up.
      silent = ({ legId }) => {
        if (legId !== agent.legId) return;
        log.warn({ agentCallId: agent.session.callId, callerCallId: caller.session.callId, timeoutMs: this.opts.agentRtpTimeoutMs }, "agent's phone sent no audio: call ended");
        agentSilent = true;
        done('agent');
      };
      media.on('rtpTimeout', silent);
      // A phone that died (power, network, crash) answers no request: end the call as its hang-up.
      if (this.opts.agentKeepaliveMs) {
        stopProbe = probeDialog(agent.session, {
          everyMs: this.opts.agentKeepaliveMs,
          onGone: (why) => {
            log.warn({ agentCallId: agent.session.callId, callerCallId: caller.session.callId, why }, "agent's phone stopped answering: call ended");
            agentGone = why;
            done('agent');
          },
        });
      }
      if (opts.signal?.aborted) done('signal');
      else opts.signal?.addEventListener('abort', () => done('signal'), { once: true });
    });
    try {
      if (!caller.session.isEnded && !agent.session.isEnded && !opts.signal?.aborted) {
        await media.stopPlayback(caller.legId).catch(() => undefined);
        await media.bridge(caller.legId, agent.legId);
        bridgedAt = performance.now();
        if (opts.record) {
          await mkdir(path.dirname(opts.record.path), { recursive: true });
          await media.record(agent.legId, { path: opts.record.path, mode: opts.record.mode });
        }
        log.info({ agentCallId: agent.session.callId, callerCallId: caller.session.callId, recording: opts.record?.path }, 'caller and agent bridged');
      }
    } catch (err) {
      log.warn({ agentCallId: agent.session.callId, err: String(err) }, 'bridge failed: ending both sides');
    }
    // Both sides end whatever happened above: a failed bridge must not leave a silent call.
    if (bridgedAt === undefined && !caller.session.isEnded && !agent.session.isEnded && !opts.signal?.aborted) {
      await Promise.all([caller.session.bye(), agent.session.bye()]);
    }
    await over;
    stopProbe?.();
    if (silent) media.off('rtpTimeout', silent);
    const talkMs = bridgedAt === undefined ? 0 : Math.round(performance.now() - bridgedAt);
    // A phone that stopped answering will not answer the BYE either: do not wait the 32 s of Timer F for it.
    const agentBye = agent.session.bye().catch(() => undefined);
    await Promise.all([caller.session.bye().catch(() => undefined), agentGone === undefined ? agentBye : undefined]);
    try {
      const released = await media.release(agent.legId);
      recording = released.recording;
    } catch (err) {
      log.warn({ agentCallId: agent.session.callId, err: String(err) }, 'agent leg release failed');
    }
    const { endedBy, end } = first ?? { endedBy: 'signal' as const };
    return { endedBy, talkMs, ...(end ? { end } : {}), ...(recording ? { recording } : {}), ...(agentSilent ? { agentSilent } : {}), ...(agentGone !== undefined ? { agentGone } : {}) };
  }
}

function statusOf(err: unknown): number | undefined {
  return err instanceof InviteFailedError ? err.status : undefined;
}

/** Several forks failed: busy if any phone said so, else no-answer if any rang out, else the first failure. */
function classify(failures: readonly unknown[]): RingResult {
  const busy = failures.find((e) => BUSY.has(statusOf(e) ?? 0));
  if (busy instanceof InviteFailedError) return { kind: 'busy', status: busy.status, reason: busy.reasonPhrase };
  const unanswered = failures.find((e) => NO_ANSWER.has(statusOf(e) ?? 0));
  if (unanswered instanceof InviteFailedError) return { kind: 'no-answer', status: unanswered.status, reason: unanswered.reasonPhrase };
  const first = failures[0];
  if (first instanceof InviteFailedError) return { kind: 'failed', status: first.status, reason: `${first.status} ${first.reasonPhrase}` };
  return { kind: 'failed', reason: String(first) };
}
