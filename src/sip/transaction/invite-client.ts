/**
 * INVITE client transaction: RFC 3261 §17.1.1, with the Accepted state of RFC 6026 §7.2.
 *
 *   state       event             action                                  next
 *   Calling     Timer A           retransmit INVITE, A = 2·A (unreliable)  Calling
 *   Calling     Timer B (64·T1)   inform TU: timeout                       Terminated
 *   Calling     1xx               stop A and B, pass to TU                 Proceeding
 *   Proceeding  1xx               pass to TU                               Proceeding
 *   Calling/Pr. 2xx               pass to TU, start Timer M (64·T1)        Accepted
 *   Calling/Pr. 300-699           send ACK, pass to TU, start Timer D      Completed
 *   Completed   300-699           re-send ACK                              Completed
 *   Completed   Timer D           —                                        Terminated
 *   Accepted    2xx               pass to TU                               Accepted
 *   Accepted    Timer M           —                                        Terminated
 *   any         transport error   inform TU                                Terminated
 *
 * Timer D is 32 s over unreliable transports and 0 (terminate at once) over reliable ones.
 *
 * NOTE: RFC 3261 destroys the transaction on a 2xx and lets the core match retransmitted
 * 2xx to the dialog. RFC 6026 keeps it in Accepted for Timer M so 2xx retransmissions (and
 * 2xx from other forks) still reach the TU through the transaction, which re-sends its ACK
 * (§13.2.2.4). After Timer M they arrive at the core as stray responses.
 */
import type { TimerHandle } from '../../clock.ts';
import type { Header, SipRequest, SipResponse } from '../message.ts';
import { getHeader, parseCSeq } from '../headers.ts';
import { serializeMessage } from '../serialize.ts';
import {
  TERMINATED_CLOSED,
  TERMINATED_COMPLETED,
  TERMINATED_TIMEOUT,
  transportFailure,
  type ClientTransactionUser,
  type OutboundRequest,
  type Termination,
  type TransactionContext,
} from './transaction.ts';

export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

type Event =
  | { readonly type: 'provisional' | 'success' | 'failure'; readonly response: SipResponse }
  | { readonly type: 'timer-a' | 'timer-b' | 'timer-d' | 'timer-m' | 'close' }
  | { readonly type: 'transport-error'; readonly error: unknown };

const TIMER_A: Event = { type: 'timer-a' };
const TIMER_B: Event = { type: 'timer-b' };
const TIMER_D: Event = { type: 'timer-d' };
const TIMER_M: Event = { type: 'timer-m' };
const CLOSE: Event = { type: 'close' };

export class InviteClientTransaction {
  readonly kind = 'invite-client';
  private current: InviteClientState = 'calling';
  /** Current Timer A interval: starts at T1 and doubles with each retransmission (§17.1.1.2). */
  private intervalA: number;
  private timerA: TimerHandle | undefined;
  private timerB: TimerHandle | undefined;
  private timerD: TimerHandle | undefined;
  private timerM: TimerHandle | undefined;
  /** The ACK for the final non-2xx response, kept to answer its retransmissions. */
  private ack: OutboundRequest | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    /** The INVITE as sent: its top Via carries this transaction's branch. */
    readonly outbound: OutboundRequest,
    /** Client transaction key: branch + CSeq method (§17.1.3). */
    readonly key: string,
    private readonly user: ClientTransactionUser<InviteClientTransaction>,
  ) {
    this.intervalA = ctx.timers.T1;
  }

  get state(): InviteClientState {
    return this.current;
  }

  get request(): SipRequest {
    return this.outbound.message;
  }

  /** Sends the INVITE and starts Timers A (unreliable only) and B (§17.1.1.2). */
  start(): void {
    this.send(this.outbound);
    if (!this.outbound.reliable) this.timerA = this.ctx.clock.setTimeout(this.fireA, this.intervalA);
    this.timerB = this.ctx.clock.setTimeout(this.fireB, 64 * this.ctx.timers.T1);
  }

  /** A response matched to this transaction (§17.1.3). */
  receive(response: SipResponse): void {
    const type = response.status < 200 ? 'provisional' : response.status < 300 ? 'success' : 'failure';
    this.handle({ type, response });
  }

  /** Ends the transaction at once (layer shutdown). */
  close(): void {
    this.handle(CLOSE);
  }

  /**
   * §9.1: a CANCEL for this INVITE — same Request-URI, Call-ID, To, From and CSeq number,
   * the INVITE's top Via as its only Via, and the INVITE's Route set. It is a transaction
   * of its own; send it with the layer's createClientTransaction to the INVITE's destination.
   * (§9.1: do not send it before a provisional response has arrived.)
   */
  buildCancel(): SipRequest {
    const invite = this.outbound.message;
    return {
      kind: 'request',
      method: 'CANCEL',
      uri: invite.uri,
      headers: hopHeaders(invite, header(invite, 'To'), 'CANCEL'),
      body: EMPTY_BODY,
    };
  }

  /** Every transition of the machine, in one place. */
  private handle(ev: Event): void {
    const { timers } = this.ctx;
    switch (this.current) {
      case 'calling':
      case 'proceeding':
        switch (ev.type) {
          case 'timer-a':
            // §17.1.1.2: retransmit and double A — only while Calling; a provisional stops it.
            if (this.current !== 'calling') return;
            this.send(this.outbound);
            this.intervalA *= 2;
            this.timerA = this.ctx.clock.setTimeout(this.fireA, this.intervalA);
            return;
          case 'timer-b':
            // §17.1.1.2: no response within 64·T1 while Calling → timeout, inform the TU.
            if (this.current === 'calling') this.terminate(TERMINATED_TIMEOUT);
            return;
          case 'provisional':
            // §17.1.1.2: 1xx → Proceeding; stop retransmitting (Timer B only applies to Calling).
            this.stopCallingTimers();
            this.current = 'proceeding';
            this.user.response(ev.response, this);
            return;
          case 'success':
            // RFC 6026 §7.2: 2xx → Accepted, pass to the TU (which sends the ACK itself, §13.2.2.4).
            this.stopCallingTimers();
            this.current = 'accepted';
            this.timerM = this.ctx.clock.setTimeout(this.fireM, 64 * timers.T1);
            this.user.response(ev.response, this);
            return;
          case 'failure':
            // §17.1.1.2: 300-699 → Completed: ACK it, pass it up, absorb retransmissions for Timer D.
            this.stopCallingTimers();
            this.current = 'completed';
            this.ack = this.buildAck(ev.response);
            this.send(this.ack);
            this.user.response(ev.response, this);
            // The TU may have closed us from inside its handler.
            if (this.current !== 'completed') return;
            if (this.outbound.reliable) this.terminate(TERMINATED_COMPLETED);
            else this.timerD = this.ctx.clock.setTimeout(this.fireD, timers.D);
            return;
          case 'transport-error':
            this.terminate(transportFailure(ev.error));
            return;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return;
          default:
            return;
        }
      case 'completed':
        switch (ev.type) {
          case 'failure':
            // §17.1.1.2: a retransmitted final response is answered with the same ACK, not passed up.
            if (this.ack) this.send(this.ack);
            return;
          case 'timer-d':
            this.terminate(TERMINATED_COMPLETED);
            return;
          case 'transport-error':
            this.terminate(transportFailure(ev.error));
            return;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return;
          default:
            return; // stray 1xx/2xx after a non-2xx final: nothing to do
        }
      case 'accepted':
        switch (ev.type) {
          case 'success':
            // RFC 6026 §7.2: retransmitted 2xx (or 2xx from another fork) go to the TU.
            this.user.response(ev.response, this);
            return;
          case 'timer-m':
            this.terminate(TERMINATED_COMPLETED);
            return;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return;
          default:
            return; // RFC 6026 §7.2: 1xx and non-2xx in Accepted are discarded
        }
      case 'terminated':
        return;
    }
  }

  private readonly fireA = (): void => {
    this.timerA = undefined;
    this.handle(TIMER_A);
  };
  private readonly fireB = (): void => {
    this.timerB = undefined;
    this.handle(TIMER_B);
  };
  private readonly fireD = (): void => {
    this.timerD = undefined;
    this.handle(TIMER_D);
  };
  private readonly fireM = (): void => {
    this.timerM = undefined;
    this.handle(TIMER_M);
  };
  private readonly onSendError = (error: unknown): void => {
    this.handle({ type: 'transport-error', error });
  };

  private send(out: OutboundRequest): void {
    this.ctx.wire.transmit(out).catch(this.onSendError);
  }

  private stopCallingTimers(): void {
    this.ctx.clock.clearTimeout(this.timerA);
    this.ctx.clock.clearTimeout(this.timerB);
    this.timerA = this.timerB = undefined;
  }

  private terminate(termination: Termination): void {
    this.stopCallingTimers();
    this.ctx.clock.clearTimeout(this.timerD);
    this.ctx.clock.clearTimeout(this.timerM);
    this.timerD = this.timerM = undefined;
    this.current = 'terminated';
    this.ctx.ended(this, termination);
    this.user.terminated?.(termination, this);
  }

  /**
   * §17.1.1.3: the ACK for a non-2xx final response — the INVITE's Request-URI, Call-ID,
   * From and CSeq number, the response's To (with its tag), the INVITE's top Via as the
   * only Via (same branch: it belongs to this transaction) and its Route headers.
   */
  private buildAck(response: SipResponse): OutboundRequest {
    const invite = this.outbound.message;
    const ack: SipRequest = {
      kind: 'request',
      method: 'ACK',
      uri: invite.uri,
      headers: hopHeaders(invite, header(response, 'To'), 'ACK'),
      body: EMPTY_BODY,
    };
    return { message: ack, bytes: serializeMessage(ack), dest: this.outbound.dest, reliable: this.outbound.reliable };
  }
}

const EMPTY_BODY = Buffer.alloc(0);

function header(msg: SipRequest | SipResponse, name: string): string {
  const value = getHeader(msg, name);
  if (value === undefined) throw new Error(`${name} header missing`);
  return value;
}

/** Headers shared by ACK (non-2xx) and CANCEL: one Via, Route set, From, To, Call-ID, CSeq. */
function hopHeaders(invite: SipRequest, to: string, method: 'ACK' | 'CANCEL'): Header[] {
  const out: Header[] = [];
  const topVia = invite.headers.find((h) => h.name === 'Via');
  if (topVia) out.push(topVia);
  for (const h of invite.headers) if (h.name === 'Route') out.push(h);
  out.push(
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: header(invite, 'From') },
    { name: 'To', value: to },
    { name: 'Call-ID', value: header(invite, 'Call-ID') },
    { name: 'CSeq', value: `${parseCSeq(header(invite, 'CSeq')).seq} ${method}` },
  );
  return out;
}
