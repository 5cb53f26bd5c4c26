/**
 * Answers INVITEs with media and keeps the table of live calls. For each new call:
 * route it (an optional hook decides from the request alone — unknown number → 404 —
 * before any media is taken), negotiate the SDP (RFC 3264; 488 when nothing in common), take a media leg, answer,
 * and once the ACK is in hand the call to the application. Digits from RFC 4733 and SIP
 * INFO land in the call's buffer; re-INVITEs (hold, resume) reconfigure the leg; the end
 * of the session frees the leg. Nothing a caller sends can leave a leg behind.
 */
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { LegId, MediaEngine } from '../media/engine.ts';
import { marshalSdp, parseSdp, SdpError } from '../media/sdp.ts';
import { answerOffer, type AudioCodecName, type NegotiatedAudio } from '../media/sdp-negotiate.ts';
import { getHeader, parseNameAddr } from '../sip/headers.ts';
import { parseUri } from '../sip/uri.ts';
import type { SipRequest } from '../sip/message.ts';
import type { InboundInvite } from '../sip/ua/inbound-invite.ts';
import type { UserAgent } from '../sip/ua/user-agent.ts';
import { Call } from './call.ts';

export interface CallManagerOptions {
  readonly ua: UserAgent;
  readonly media: MediaEngine;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The address our SDP advertises for RTP. */
  readonly mediaAddress: string;
  readonly codecs?: AudioCodecName[];
  /** Send 180 Ringing before answering. */
  readonly ring?: boolean;
  /** Routing before answering; without it every INVITE is answered (route undefined). */
  readonly route?: CallRouter;
}

export type CallHandler = (call: Call) => Promise<void> | void;

/**
 * What the routing hook decides for a new INVITE: refuse it with a final response, or
 * accept it with an opaque route value the call carries (e.g. the tenant and line) and
 * the dialled number that matched.
 */
export type RouteDecision =
  | { readonly reject: { readonly status: number; readonly reason: string } }
  | { readonly route: unknown; readonly dialled?: string };

export type CallRouter = (request: SipRequest) => RouteDecision | Promise<RouteDecision>;

function userOf(uriText: string): string {
  try {
    const uri = parseUri(uriText);
    return uri.scheme === 'tel' ? uri.number : (uri.user ?? '');
  } catch {
    return '';
  }
}

export class CallManager {
  private readonly calls = new Map<string, Call>();
  private readonly byLeg = new Map<LegId, Call>();
  private handler: CallHandler = (call) => call.hangup();
  private router: CallRouter | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: CallManagerOptions) {
    this.log = opts.logger;
    this.router = opts.route;
    opts.ua.onInvite((invite) => void this.answer(invite));
    opts.media.on('digit', (ev) => {
      const call = this.byLeg.get(ev.legId);
      if (call) call.digits.push(ev.digit);
    });
    opts.media.on('workerDied', (ev) => {
      for (const legId of ev.legIds) {
        const call = this.byLeg.get(legId);
        if (!call) continue;
        this.log.error({ callId: call.sipCallId }, 'media worker died under the call: hanging up');
        void call.hangup();
      }
    });
  }

  onCall(handler: CallHandler): void {
    this.handler = handler;
  }

  /** Replaces the routing hook (the runtime is built after the manager). */
  onRoute(router: CallRouter | undefined): void {
    this.router = router;
  }

  get size(): number {
    return this.calls.size;
  }

  get(id: string): Call | undefined {
    return this.calls.get(id);
  }

  list(): Call[] {
    return [...this.calls.values()];
  }

  private async answer(invite: InboundInvite): Promise<void> {
    const { media } = this.opts;
    const request = invite.request;
    const sipCallId = getHeader(request, 'Call-ID') ?? '';
    let route: unknown;
    let dialled = userOf(request.uri);
    if (this.router) {
      let decision: RouteDecision;
      try {
        decision = await this.router(request);
      } catch (err) {
        this.log.error({ callId: sipCallId, err: String(err) }, 'INVITE routing failed');
        invite.reject(500, 'Server Internal Error');
        return;
      }
      if (invite.signal.aborted) return; // CANCELled while we looked the number up (487 sent)
      if ('reject' in decision) {
        this.log.info({ callId: sipCallId, status: decision.reject.status, uri: request.uri }, 'INVITE refused: routing');
        invite.reject(decision.reject.status, decision.reject.reason);
        return;
      }
      route = decision.route;
      if (decision.dialled !== undefined) dialled = decision.dialled;
    }
    let offer;
    try {
      offer = parseSdp(invite.offer.toString('utf8'));
    } catch (err) {
      // An INVITE without an offer (late offer, §13.2.1) is not supported yet: say so with 488.
      const reason = invite.offer.length === 0 ? 'Not Acceptable Here: offer required' : `Bad Request: ${(err as Error).message}`;
      this.log.info({ callId: sipCallId, err: String(err) }, 'INVITE refused: SDP');
      invite.reject(invite.offer.length === 0 ? 488 : 400, reason.slice(0, 120));
      return;
    }
    let legId: LegId | undefined;
    try {
      if (this.opts.ring) invite.progress(180);
      const leg = await media.allocate();
      legId = leg.legId;
      const negotiated = answerOffer(offer, {
        address: this.opts.mediaAddress,
        port: leg.port,
        codecs: this.opts.codecs ?? ['PCMU', 'PCMA'],
        telephoneEvent: true,
      });
      await media.configure(leg.legId, configOf(negotiated));
      if (invite.signal.aborted) throw invite.signal.reason;
      const session = await invite.accept(Buffer.from(marshalSdp(negotiated.answer)));
      const from = parseNameAddr(getHeader(request, 'From') ?? '<sip:anonymous@anonymous.invalid>').uri;
      const call = new Call(session, media, leg.legId, negotiated, from, dialled, this.opts.clock, this.log, route);
      legId = undefined; // the call owns the leg now
      this.track(call);
    } catch (err) {
      if (err instanceof SdpError) {
        this.log.info({ callId: sipCallId, err: err.message }, 'INVITE refused: no common codec');
        invite.reject(err.code === 'incompatible' ? 488 : 400, err.code === 'incompatible' ? 'Not Acceptable Here' : 'Bad Request: SDP');
      } else if (!invite.signal.aborted) {
        this.log.warn({ callId: sipCallId, err: String(err) }, 'could not answer the call');
        invite.reject(503, 'Service Unavailable', [['Retry-After', '5']]);
      }
      if (legId) await media.release(legId).catch(() => undefined);
    }
  }

  private track(call: Call): void {
    const { session } = call;
    this.calls.set(call.id, call);
    this.byLeg.set(call.legId, call);
    this.log.info({ callId: call.sipCallId, call: call.id, from: call.from, to: call.to }, 'call answered');
    session.handlers = {
      digit: (digit) => {
        // SIP INFO: through the engine, so barge-in works the same as for RFC 4733.
        this.opts.media.injectDigit(call.legId, digit).catch(() => call.digits.push(digit));
      },
      reoffer: async (offerBody) => {
        const offer = parseSdp(offerBody.toString('utf8'));
        const negotiated = answerOffer(offer, {
          address: this.opts.mediaAddress,
          port: portOf(session.localSdp),
          codecs: [call.audio.codec.name],
          telephoneEvent: call.audio.telephoneEventPt !== undefined,
          // RFC 3264 §8: same o= session id, version one higher.
          previous: parseSdp(session.localSdp.toString('utf8')),
        });
        await this.opts.media.configure(call.legId, configOf(negotiated));
        call.audio = negotiated;
        return Buffer.from(marshalSdp(negotiated.answer));
      },
      ended: (end) => {
        this.calls.delete(call.id);
        this.byLeg.delete(call.legId);
        void call.release();
        this.log.info({ callId: call.sipCallId, call: call.id, reason: end.reason }, 'call ended');
      },
    };
    if (session.isEnded) {
      session.handlers.ended?.({ reason: 'remote-bye' });
      return;
    }
    Promise.resolve()
      .then(() => this.handler(call))
      .catch((err: unknown) => {
        this.log.error({ callId: call.sipCallId, err: String(err) }, 'call handler failed: hanging up');
        void call.hangup();
      });
  }
}

/** The media engine's configuration for a negotiated audio stream (also used for B2BUA legs). */
export function configOf(n: NegotiatedAudio) {
  return {
    remote: n.remote,
    codec: n.codec.name,
    payloadType: n.codec.payloadType,
    ...(n.telephoneEventPt !== undefined ? { telephoneEventPt: n.telephoneEventPt } : {}),
    direction: n.direction,
    ...(n.remoteRtcp ? { rtcp: n.remoteRtcp } : {}),
    // Symmetric RTP (RFC 4961), comedia style: phones and carriers behind NAT advertise an
    // address their packets do not come from, so send to where the first valid RTP (with a
    // negotiated payload type) comes from. The leg latches once; later foreign sources
    // are dropped and counted, so a flood cannot hijack the call.
    latching: 'any' as const,
  };
}

function portOf(sdp: Buffer): number {
  const m = /^m=audio (\d+)/m.exec(sdp.toString('utf8'));
  return m ? Number(m[1]) : 0;
}
