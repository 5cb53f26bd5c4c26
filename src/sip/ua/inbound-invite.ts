/**
 * An INVITE that created no dialog yet (RFC 3261 §13.3): the application looks at the
 * offer and rings, answers or rejects it. A CANCEL (§9.2) or the caller giving up aborts
 * `signal`. accept() sends the 2xx, keeps it reliable (§13.3.1.4) and resolves with the
 * session once the ACK arrives.
 */
import { randomBytes } from 'node:crypto';
import type { Endpoint, SipRequest } from '../message.ts';
import { createResponse, type HeaderInput } from '../build.ts';
import { createUasDialog } from '../dialog.ts';
import type { InviteServerTransaction } from '../transaction/invite-server.ts';
import type { UaHost } from './host.ts';
import { Retransmit2xx } from './retransmit-2xx.ts';
import { SipSession } from './session.ts';

export class CallCancelledError extends Error {
  override readonly name = 'CallCancelledError';
}

export class AckTimeoutError extends Error {
  override readonly name = 'AckTimeoutError';
}

type Phase = 'offered' | 'answering' | 'answered' | 'rejected' | 'cancelled';

export class InboundInvite {
  /** §19.3: the To tag we put on every response that can create the dialog. */
  readonly localTag = randomBytes(6).toString('hex');
  readonly signal: AbortSignal;
  /** Resolves once nothing more can happen to this INVITE (rejected, cancelled, ACKed, or the ACK never came). */
  readonly settled: Promise<void>;
  private resolveSettled!: () => void;
  private readonly abort = new AbortController();
  private phase: Phase = 'offered';
  private retransmit: Retransmit2xx | undefined;
  private settleAck: ((session: SipSession | Error) => void) | undefined;
  private session: SipSession | undefined;

  constructor(
    private readonly host: UaHost,
    readonly tx: InviteServerTransaction,
    readonly request: SipRequest,
    readonly source: Endpoint,
    private readonly reliable: boolean,
  ) {
    this.signal = this.abort.signal;
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  get offer(): Buffer {
    return this.request.body;
  }

  get state(): Phase {
    return this.phase;
  }

  /** 180 Ringing or 183 Session Progress (§13.3.1.1). */
  progress(status = 180, extras: { headers?: HeaderInput; body?: Buffer } = {}): void {
    if (this.phase !== 'offered') return;
    this.tx.respond(
      createResponse(this.request, status, undefined, {
        toTag: this.localTag,
        headers: [['Contact', this.host.contact(this.source.transport)], ...(extras.headers ?? [])],
        ...(extras.body ? { body: extras.body } : {}),
      }),
    );
  }

  /** Final non-2xx (§13.3.1.3). No-op once answered or cancelled. */
  reject(status: number, reason?: string, headers: HeaderInput = []): void {
    if (this.phase !== 'offered' && this.phase !== 'answering') return;
    this.phase = 'rejected';
    this.tx.respond(createResponse(this.request, status, reason, { toTag: this.localTag, headers }));
    this.resolveSettled();
  }

  /**
   * 200 OK with the SDP answer (§13.3.1.4). Resolves with the session when the ACK comes;
   * rejects with AckTimeoutError after 64·T1 without one (the dialog is then ended with a
   * BYE, as §13.3.1.4 requires) or CallCancelledError if a CANCEL won the race.
   */
  accept(answer: Buffer, headers: HeaderInput = []): Promise<SipSession> {
    if (this.phase === 'cancelled') return Promise.reject(new CallCancelledError('the caller cancelled before the answer'));
    if (this.phase !== 'offered') return Promise.reject(new Error(`cannot answer an INVITE in phase ${this.phase}`));
    this.phase = 'answering';
    const ok = createResponse(this.request, 200, 'OK', {
      toTag: this.localTag,
      headers: [
        ['Contact', this.host.contact(this.source.transport)],
        ['Allow', this.host.allow],
        ['Supported', this.host.supported],
        ['User-Agent', this.host.userAgent],
        ...headers,
        ['Content-Type', 'application/sdp'],
      ],
      body: answer,
    });
    const dialog = createUasDialog(this.request, this.localTag);
    const session = new SipSession(this.host, dialog, this.source.transport, this.request.body, answer, this.request);
    this.session = session;
    this.host.register(session);
    this.phase = 'answered';
    return new Promise((resolve, reject) => {
      this.settleAck = (v) => (v instanceof Error ? reject(v) : resolve(v));
      this.retransmit = new Retransmit2xx(
        this.host,
        this.tx,
        ok,
        this.request,
        () => {
          this.settleAck = undefined;
          this.retransmit = undefined;
          this.resolveSettled();
          void session.bye('ack-timeout');
          reject(new AckTimeoutError('no ACK for our 200 OK within 64·T1'));
        },
        this.reliable,
      );
    });
  }

  /** The ACK for our 2xx (routed here by the UA while the session awaits it). */
  ack(ack: SipRequest): boolean {
    const r = this.retransmit;
    if (!r || !r.matches(ack) || !this.session) return false;
    r.acked();
    this.retransmit = undefined;
    const settle = this.settleAck;
    this.settleAck = undefined;
    settle?.(this.session);
    this.resolveSettled();
    return true;
  }

  get awaitingAck(): boolean {
    return this.retransmit !== undefined;
  }

  /**
   * §9.2: a CANCEL for this INVITE. Before a final response: 487 to the INVITE and the
   * application is told through `signal`. After one it has no effect.
   */
  cancel(): boolean {
    if (this.phase !== 'offered' && this.phase !== 'answering') return false;
    this.phase = 'cancelled';
    this.tx.respond(createResponse(this.request, 487, 'Request Terminated', { toTag: this.localTag }));
    this.abort.abort(new CallCancelledError('CANCEL received'));
    this.resolveSettled();
    return true;
  }

  /** The INVITE transaction died (transport error) before we answered: stop working on it. */
  fail(reason: string): void {
    if (this.phase === 'offered' || this.phase === 'answering') {
      this.phase = 'cancelled';
      this.abort.abort(new CallCancelledError(reason));
    }
    this.retransmit?.cancel();
    this.resolveSettled();
  }
}
