/**
 * A flow's transfer as a B2BUA (RFC 7092 §3.1, signaling and media B2BUA): we place a new
 * call to the number through the tenant's trunk (RFC 3261 §13.2, the number as the user
 * part of the trunk's SIP URI), take a media leg on the caller's worker and bridge the
 * two legs' audio. Either side hanging up ends the other (BYE, §15.1.1). The caller hears
 * "please hold" while the far end rings; a refused or unanswered call is reported, not
 * thrown, so the runtime can tell the caller and record it.
 */
import type { Call } from '../call/call.ts';
import { configOf } from '../call/call-manager.ts';
import type { Logger } from '../log.ts';
import type { LegId, MediaEngine } from '../media/engine.ts';
import { marshalSdp, parseSdp } from '../media/sdp.ts';
import { answerOffer, createOffer, parseAnswer, type AudioCodecName } from '../media/sdp-negotiate.ts';
import { InviteFailedError } from '../sip/ua/outbound-invite.ts';
import type { SipSession } from '../sip/ua/session.ts';
import type { InviteOptions } from '../sip/ua/outbound-invite.ts';
import type { ClientCredentials } from '../sip/auth/client.ts';
import { escapeUser, formatUri, parseUri } from '../sip/uri.ts';

export interface TransferDeps {
  readonly invite: (opts: InviteOptions) => Promise<SipSession>;
  readonly media: MediaEngine;
  readonly mediaAddress: string;
  readonly log: Logger;
}

export type TransferResult =
  | { readonly ok: true; readonly sipCallId: string; readonly uri: string }
  | { readonly ok: false; readonly reason: string; readonly sipCallId?: string };

/** The trunk URI with the number as user part: sip:gw.example:5060 + 0912345678 → sip:0912345678@gw.example:5060. */
export function trunkTarget(trunk: string, number: string): string {
  const uri = parseUri(trunk);
  if (uri.scheme === 'tel') throw new RangeError('a trunk is a sip: or sips: URI');
  return formatUri({ ...uri, user: number });
}

/** Runs the bridged call to its end; resolves when both sides are down. */
export async function transfer(deps: TransferDeps, call: Call, to: string, opts: { trunk: string; credentials?: ClientCredentials; callerId: string; ringTimeoutMs?: number; onAnswered?: (sipCallId: string) => void }): Promise<TransferResult> {
  const { media, log } = deps;
  let uri: string;
  try {
    uri = trunkTarget(opts.trunk, to);
  } catch (err) {
    return { ok: false, reason: `bad trunk ${JSON.stringify(opts.trunk)}: ${(err as Error).message}` };
  }
  let legId: LegId | undefined;
  let session: SipSession | undefined;
  try {
    const leg = await media.allocate({ near: call.legId });
    legId = leg.legId;
    const codecs: AudioCodecName[] = call.audio.codec.name === 'PCMA' ? ['PCMA', 'PCMU'] : ['PCMU', 'PCMA'];
    const offer = createOffer({ address: deps.mediaAddress, port: leg.port, codecs, telephoneEvent: true });
    const host = deps.mediaAddress.includes(':') ? `[${deps.mediaAddress}]` : deps.mediaAddress;
    session = await deps.invite({
      uri,
      from: `sip:${escapeUser(opts.callerId)}@${host}`,
      sdp: Buffer.from(marshalSdp(offer)),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      signal: call.signal,
      timeoutMs: opts.ringTimeoutMs ?? 30_000,
    });
    const far = session;
    opts.onAnswered?.(far.callId);
    const negotiated = parseAnswer(offer, parseSdp(far.remoteSdp.toString('utf8')));
    await media.configure(leg.legId, configOf(negotiated));
    far.handlers = {
      reoffer: async (body) => {
        const again = answerOffer(parseSdp(body.toString('utf8')), {
          address: deps.mediaAddress,
          port: leg.port,
          codecs: [negotiated.codec.name],
          telephoneEvent: negotiated.telephoneEventPt !== undefined,
          previous: parseSdp(far.localSdp.toString('utf8')),
        });
        await media.configure(leg.legId, configOf(again));
        return Buffer.from(marshalSdp(again.answer));
      },
    };
    await call.stopPlayback();
    await media.bridge(call.legId, leg.legId);
    log.info({ callId: call.sipCallId, transferCallId: far.callId, to }, 'transfer answered: legs bridged');
    await Promise.race([call.ended, far.ended]);
    await Promise.all([far.bye(), call.hangup()]);
    return { ok: true, sipCallId: far.callId, uri };
  } catch (err) {
    if (session) await session.bye().catch(() => undefined);
    const reason = err instanceof InviteFailedError ? `${err.status} ${err.reasonPhrase}` : String(err);
    log.info({ callId: call.sipCallId, to, reason }, 'transfer failed');
    return session ? { ok: false, reason, sipCallId: session.callId } : { ok: false, reason };
  } finally {
    if (legId !== undefined) await media.release(legId).catch(() => undefined);
  }
}
