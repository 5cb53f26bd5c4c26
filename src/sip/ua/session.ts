/**
 * An INVITE dialog once established (RFC 3261 §12–15): who we talk to, the SDP both
 * sides agreed, and the in-dialog requests — re-INVITE (hold, codec change), INFO (DTMF),
 * OPTIONS, BYE from either side. Media is not here: the call layer joins a session to a
 * media leg. The session's end is one AbortSignal plus a promise with the reason.
 */
import { randomUUID } from 'node:crypto';
import type { Endpoint, SipRequest, SipResponse } from '../message.ts';
import { createResponse } from '../build.ts';
import { getHeader, parseCSeq } from '../headers.ts';
import { acceptInDialogRequest, createInDialogRequest, keyOf, type Dialog } from '../dialog.ts';
import type { InviteServerTransaction } from '../transaction/invite-server.ts';
import type { ServerTransaction } from '../transaction/layer.ts';
import type { Termination } from '../transaction/transaction.ts';
import { dtmfFromInfo } from './info-dtmf.ts';
import { optionsResponse, type UaHost } from './host.ts';
import { nextHop } from './target.ts';
import { Retransmit2xx } from './retransmit-2xx.ts';

export type SessionEndReason =
  /** The peer sent BYE. */
  | 'remote-bye'
  /** We sent BYE. */
  | 'local-bye'
  /** §13.3.1.4: the ACK for our 2xx never came (we sent BYE). */
  | 'ack-timeout'
  /** A request in the dialog timed out or failed to send (§12.2.1.2: 408/481 end the dialog). */
  | 'dialog-failure'
  /** The user agent shut down. */
  | 'shutdown';

export interface SessionEnd {
  readonly reason: SessionEndReason;
  readonly detail?: string;
}

export interface SessionHandlers {
  /** A key press sent as SIP INFO. */
  digit?(digit: string): void;
  /**
   * A re-INVITE with an SDP offer (hold, resume, codec change): return the answer body.
   * Throwing answers 488 Not Acceptable Here and keeps the old media (§14.2).
   */
  reoffer?(offer: Buffer): Buffer | Promise<Buffer>;
  /** The session ended, whoever ended it. */
  ended?(end: SessionEnd): void;
}

export class SipSession {
  /** Our id for the session (not the SIP Call-ID, which the peer may have chosen). */
  readonly id = randomUUID();
  readonly signal: AbortSignal;
  readonly ended: Promise<SessionEnd>;
  handlers: SessionHandlers = {};
  private readonly abort = new AbortController();
  private resolveEnded!: (end: SessionEnd) => void;
  private state: Dialog;
  private endInfo: SessionEnd | undefined;
  /** A re-INVITE we answered with 2xx and whose ACK we wait for. */
  private pendingReinvite: Retransmit2xx | undefined;

  constructor(
    private readonly host: UaHost,
    dialog: Dialog,
    /** The transport the dialog was set up over: in-dialog requests use it unless the target says otherwise. */
    readonly flow: Endpoint['transport'],
    public remoteSdp: Buffer,
    public localSdp: Buffer,
    /** The initial INVITE (UAS: received; UAC: sent). */
    readonly invite: SipRequest,
  ) {
    this.state = dialog;
    this.signal = this.abort.signal;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get dialog(): Dialog {
    return this.state;
  }

  get key(): string {
    return keyOf(this.state);
  }

  get callId(): string {
    return this.state.callId;
  }

  get isEnded(): boolean {
    return this.endInfo !== undefined;
  }

  /** A request that arrived in this dialog (never ACK; those come through `ack`). */
  receive(tx: ServerTransaction, request: SipRequest): void {
    if (this.endInfo && request.method !== 'BYE') {
      tx.respond(createResponse(request, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    const check = acceptInDialogRequest(this.state, request);
    if (!check.ok) {
      tx.respond(createResponse(request, check.status, check.reason));
      return;
    }
    switch (request.method) {
      case 'BYE':
        // §15.1.2: answer the BYE, then end the session.
        tx.respond(createResponse(request, 200, 'OK'));
        this.state = check.dialog;
        this.finish({ reason: 'remote-bye' });
        return;
      case 'INVITE':
        this.receiveReinvite(tx as InviteServerTransaction, request, check.dialog);
        return;
      case 'INFO': {
        this.state = check.dialog;
        const digit = dtmfFromInfo(getHeader(request, 'Content-Type'), request.body);
        tx.respond(createResponse(request, 200, 'OK'));
        if (digit !== undefined) this.handlers.digit?.(digit);
        return;
      }
      case 'OPTIONS':
        this.state = check.dialog;
        tx.respond(optionsResponse(this.host, request));
        return;
      default:
        this.state = check.dialog;
        tx.respond(createResponse(request, 405, 'Method Not Allowed', { headers: [['Allow', this.host.allow]] }));
    }
  }

  /** The ACK for a 2xx of ours in this dialog (initial INVITE handled by InboundInvite). */
  ack(ack: SipRequest): boolean {
    const pending = this.pendingReinvite;
    if (pending && pending.matches(ack)) {
      pending.acked();
      this.pendingReinvite = undefined;
      return true;
    }
    return false;
  }

  private receiveReinvite(tx: InviteServerTransaction, request: SipRequest, next: Dialog): void {
    tx.trying();
    if (this.pendingReinvite) {
      // §14.2: a re-INVITE while an earlier one still waits for its ACK → 500 + Retry-After.
      tx.respond(createResponse(request, 500, 'Server Internal Error', { headers: [['Retry-After', '1']] }));
      return;
    }
    this.state = next;
    const reoffer = this.handlers.reoffer;
    const offer = request.body;
    // A re-INVITE without a body asks us for an offer (§14.2); we offer what we have.
    const answer: Promise<Buffer> =
      offer.length === 0 || !reoffer ? Promise.resolve(this.localSdp) : Promise.resolve().then(() => reoffer(offer));
    answer.then(
      (sdp) => {
        if (this.endInfo) return;
        if (offer.length > 0) this.remoteSdp = offer;
        this.localSdp = sdp;
        const ok = createResponse(request, 200, 'OK', {
          toTag: this.state.localTag,
          headers: [
            ['Contact', this.host.contact(this.flow)],
            ['Allow', this.host.allow],
            ['Supported', this.host.supported],
            ['Content-Type', 'application/sdp'],
          ],
          body: sdp,
        });
        this.pendingReinvite = new Retransmit2xx(this.host, tx, ok, request, () => {
          this.pendingReinvite = undefined;
          void this.bye('ack-timeout');
        });
      },
      (err: unknown) => {
        this.host.log.info({ callId: this.callId, err: String(err) }, 're-INVITE offer not acceptable');
        tx.respond(createResponse(request, 488, 'Not Acceptable Here'));
      },
    );
  }

  /**
   * End the session with a BYE (§15.1.1). Resolves when the BYE transaction completes
   * (any final response or a timeout — the session is over either way).
   */
  async bye(reason: 'local-bye' | 'ack-timeout' | 'shutdown' = 'local-bye'): Promise<void> {
    if (this.endInfo) return;
    this.pendingReinvite?.cancel();
    this.pendingReinvite = undefined;
    const { request, dialog } = createInDialogRequest(this.state, 'BYE', {
      headers: [['User-Agent', this.host.userAgent]].map(([name, value]) => ({ name: name!, value: value! })),
    });
    this.state = dialog;
    this.finish({ reason });
    await this.send(request).catch(() => undefined);
  }

  /**
   * Build a non-INVITE request in this dialog (INFO, OPTIONS, …; §12.2.1.1), moving our
   * CSeq on, and send it. Resolves with the final response.
   */
  request(method: string, opts: { headers?: readonly { name: string; value: string }[]; body?: Buffer } = {}): Promise<SipResponse> {
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL') {
      return Promise.reject(new Error(`${method} is not sent through session.request`));
    }
    const { request, dialog } = createInDialogRequest(this.state, method, opts);
    this.state = dialog;
    return this.send(request);
  }

  /** Send a request already built for this dialog and resolve with its final response (or reject on timeout/transport error). */
  send(request: SipRequest): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      let dest: Endpoint;
      try {
        dest = nextHop(request.uri, this.state.routeSet, this.flow);
        this.host.transactions.createClientTransaction(request, dest, {
          response: (res) => {
            if (res.status >= 200) resolve(res);
          },
          terminated: (t: Termination) => {
            if (t.reason !== 'completed') reject(new Error(`${request.method} ${t.reason}${t.error ? `: ${t.error.message}` : ''}`));
          },
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Mark the session ended and tell everyone once. */
  finish(end: SessionEnd): void {
    if (this.endInfo) return;
    this.endInfo = end;
    this.host.forget(this);
    this.abort.abort(end);
    this.resolveEnded(end);
    try {
      this.handlers.ended?.(end);
    } catch (err) {
      this.host.log.error({ callId: this.callId, err: String(err) }, 'session ended handler threw');
    }
  }

  /** The CSeq number of a request, for matching ACKs. */
  static cseqOf(msg: SipRequest | SipResponse): number {
    return parseCSeq(getHeader(msg, 'CSeq') ?? '0 X').seq;
  }
}
