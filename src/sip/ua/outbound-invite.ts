/**
 * Placing a call (RFC 3261 §13.2): INVITE with our SDP offer, provisional responses
 * reported, 401/407 answered once with Digest credentials (§22.2), the 2xx ACKed by us
 * (§13.2.2.4 — the ACK for a 2xx is the UAC core's, with its own branch) and every
 * retransmitted 2xx ACKed again. Abort the signal to give up: before a final response that
 * sends CANCEL (§9.1, after the first provisional), after a 2xx that sends BYE.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Endpoint, SipRequest, SipResponse } from '../message.ts';
import { createRequest, type HeaderInput } from '../build.ts';

import { createInDialogRequest, createUacDialog } from '../dialog.ts';
import type { InviteClientTransaction } from '../transaction/invite-client.ts';
import type { OutboundRequest, Termination } from '../transaction/transaction.ts';
import { authorizeRequest, DigestClientState, type ClientCredentials } from '../auth/client.ts';
import type { UaHost } from './host.ts';
import { SipSession } from './session.ts';
import { nextHop } from './target.ts';

export class InviteFailedError extends Error {
  override readonly name = 'InviteFailedError';
  constructor(
    /** The final status; 408 for a timeout (§8.1.3.1), 503 for a transport failure (§8.1.3.1), 487 when we cancelled. */
    readonly status: number,
    readonly reasonPhrase: string,
    readonly response?: SipResponse,
  ) {
    super(`${status} ${reasonPhrase}`);
  }
}

export interface InviteOptions {
  /** Request-URI, e.g. sip:13800138000@10.0.0.1:5060. */
  readonly uri: string;
  /** Where to send it; default: from the Request-URI (or the first route). */
  readonly dest?: Endpoint;
  /** From address (URI), e.g. sip:4008001111@our.host; display name optional. */
  readonly from: string;
  readonly fromName?: string;
  /** To URI; default the Request-URI. */
  readonly to?: string;
  readonly sdp: Buffer;
  readonly credentials?: ClientCredentials;
  readonly headers?: HeaderInput;
  readonly routeSet?: readonly string[];
  readonly signal?: AbortSignal;
  /** Give up with 408 when no final response arrives in this time (ring timeout). */
  readonly timeoutMs?: number;
  /** Each provisional response (180, 183 …). */
  onProgress?(response: SipResponse): void;
}

function nameAddr(uri: string, name?: string): string {
  return name ? `"${name.replace(/(["\\])/g, '\\$1')}" <${uri}>` : `<${uri}>`;
}

export function placeCall(host: UaHost, opts: InviteOptions): Promise<SipSession> {
  return new Promise<SipSession>((resolve, reject) => {
    const dest = opts.dest ?? nextHop(opts.uri, opts.routeSet ?? [], 'udp');
    const callId = `${randomUUID()}@surgeline`;
    const fromTag = randomBytes(6).toString('hex');
    const authState = new DigestClientState();
    let current: InviteClientTransaction | undefined;
    let provisional = false;
    let cancelWanted = false;
    let settled = false;
    let session: SipSession | undefined;
    let ack: OutboundRequest | undefined;
    let ringTimer: ReturnType<UaHost['clock']['setTimeout']> | undefined;

    let request = createRequest({
      method: 'INVITE',
      uri: opts.uri,
      headers: [
        ...(opts.routeSet ?? []).map((r) => ['Route', r] as const),
        ['Max-Forwards', '70'],
        ['From', `${nameAddr(opts.from, opts.fromName)};tag=${fromTag}`],
        ['To', nameAddr(opts.to ?? opts.uri)],
        ['Call-ID', callId],
        ['CSeq', '1 INVITE'],
        ['Contact', host.contact(dest.transport)],
        ['Allow', host.allow],
        ['Supported', host.supported],
        ['User-Agent', host.userAgent],
        ...(opts.headers ?? []),
        ['Content-Type', 'application/sdp'],
      ],
      body: opts.sdp,
    });

    const finish = (err: InviteFailedError | undefined, s?: SipSession): void => {
      if (settled) return;
      settled = true;
      host.clock.clearTimeout(ringTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(s!);
    };

    const sendCancel = (): void => {
      if (!current) return;
      const cancel = current.buildCancel();
      try {
        host.transactions.createClientTransaction(cancel, dest, { response: () => {} });
      } catch (err) {
        host.log.warn({ callId, err: String(err) }, 'CANCEL could not be sent');
      }
    };

    const onAbort = (): void => {
      if (settled) return;
      cancelWanted = true;
      // §9.1: a CANCEL before any provisional may cross the INVITE; wait for one.
      if (provisional) sendCancel();
    };

    const onResponse = (response: SipResponse, tx: InviteClientTransaction): void => {
      if (tx !== current) return;
      const status = response.status;
      if (status < 200) {
        if (status > 100 && !provisional) {
          provisional = true;
          if (cancelWanted) sendCancel();
        } else if (status === 100) provisional = true;
        if (cancelWanted && provisional) return;
        opts.onProgress?.(response);
        return;
      }
      if (status < 300) {
        if (session) {
          // §13.2.2.4: a retransmitted 2xx gets the same ACK again.
          if (ack) void host.transactions.resend(ack).catch(() => undefined);
          return;
        }
        let dialog;
        try {
          dialog = createUacDialog(request, response);
        } catch (err) {
          host.log.warn({ callId, err: String(err) }, '2xx without a usable dialog');
          finish(new InviteFailedError(502, 'Bad Gateway: 2xx without Contact or tag', response));
          return;
        }
        const built = createInDialogRequest(dialog, 'ACK', { ackSeq: dialog.localSeq });
        const ackDest = nextHop(built.request.uri, dialog.routeSet, dest.transport);
        session = new SipSession(host, dialog, dest.transport, response.body, opts.sdp, request);
        host.register(session);
        host.transactions.sendAck(built.request, ackDest).then(
          (out) => (ack = out),
          (err: unknown) => host.log.warn({ callId, err: String(err) }, 'ACK could not be sent'),
        );
        if (cancelWanted) {
          // The callee answered as we gave up: take the call down properly (§9.1 race).
          void session.bye();
          finish(new InviteFailedError(487, 'Request Terminated'));
          return;
        }
        finish(undefined, session);
        return;
      }
      if ((status === 401 || status === 407) && opts.credentials && !cancelWanted) {
        const retry = authorizeRequest(request, response, opts.credentials, authState);
        if (retry.ok) {
          request = retry.request;
          provisional = false;
          start();
          return;
        }
        host.log.info({ callId, reason: retry.reason }, 'authentication for outbound INVITE failed');
      }
      finish(new InviteFailedError(status, response.reason, response));
    };

    const onTerminated = (t: Termination, tx: InviteClientTransaction): void => {
      if (tx !== current || settled) return;
      if (t.reason === 'timeout') finish(new InviteFailedError(408, 'Request Timeout'));
      else if (t.reason === 'transport-error') finish(new InviteFailedError(503, `Service Unavailable: ${t.error?.message ?? 'transport error'}`));
      else if (t.reason === 'closed') finish(new InviteFailedError(503, 'Service Unavailable: shutting down'));
    };

    const start = (): void => {
      try {
        current = host.transactions.createClientTransaction(request, dest, {
          response: (r, tx) => onResponse(r, tx as InviteClientTransaction),
          terminated: (t, tx) => onTerminated(t, tx as InviteClientTransaction),
        }) as InviteClientTransaction;
      } catch (err) {
        finish(new InviteFailedError(503, `Service Unavailable: ${(err as Error).message}`));
      }
    };

    if (opts.signal?.aborted) {
      reject(new InviteFailedError(487, 'Request Terminated'));
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs !== undefined) {
      ringTimer = host.clock.setTimeout(() => {
        if (settled) return;
        onAbort();
        // Without a provisional a CANCEL cannot go; the transaction's Timer B ends it.
        finish(new InviteFailedError(408, 'Request Timeout: no answer'));
      }, opts.timeoutMs);
    }
    start();
  });
}
