/**
 * INVITE server transaction: RFC 3261 §17.2.1, with the Accepted state of RFC 6026 §7.1.
 *
 *   state       event              action                                   next
 *   Proceeding  200 ms, no answer  send 100 Trying                          Proceeding
 *   Proceeding  INVITE (retrans.)  re-send the last provisional, if any     Proceeding
 *   Proceeding  1xx from TU        send                                     Proceeding
 *   Proceeding  2xx from TU        send, start Timer L (64·T1)              Accepted
 *   Proceeding  300-699 from TU    send, start G (unreliable) and H (64·T1) Completed
 *   Completed   Timer G            re-send final, G = min(2·G, T2)          Completed
 *   Completed   INVITE (retrans.)  re-send final                            Completed
 *   Completed   ACK                start Timer I (T4, 0 if reliable)        Confirmed
 *   Completed   Timer H            inform TU: timeout (no ACK)              Terminated
 *   Confirmed   ACK                absorb                                   Confirmed
 *   Confirmed   Timer I            —                                        Terminated
 *   Accepted    INVITE (retrans.)  absorb                                   Accepted
 *   Accepted    2xx from TU        send (the TU's §13.3.1.4 retransmission) Accepted
 *   Accepted    ACK                not ours: the layer passes it to the TU  Accepted
 *   Accepted    Timer L            —                                        Terminated
 *   any         transport error    inform TU                                Terminated
 *
 * NOTE: RFC 3261 terminates the transaction when the TU sends a 2xx, so a retransmitted
 * INVITE would look like a new one; RFC 6026 adds Accepted to absorb it.
 */
import type { TimerHandle } from '../../clock.ts';
import type { Endpoint, SipRequest, SipResponse } from '../message.ts';
import { createResponse } from '../build.ts';
import {
  TERMINATED_CLOSED,
  TERMINATED_COMPLETED,
  TERMINATED_TIMEOUT,
  transportFailure,
  ResponseSender,
  type ServerTerminated,
  type Termination,
  type TransactionContext,
} from './transaction.ts';

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

type Event =
  | { readonly type: 'respond'; readonly response: SipResponse }
  | { readonly type: 'request' | 'ack' | 'trying' | 'timer-g' | 'timer-h' | 'timer-i' | 'timer-l' | 'close' }
  | { readonly type: 'transport-error'; readonly error: unknown };

const REQUEST: Event = { type: 'request' };
const ACK: Event = { type: 'ack' };
const TRYING: Event = { type: 'trying' };
const TIMER_G: Event = { type: 'timer-g' };
const TIMER_H: Event = { type: 'timer-h' };
const TIMER_I: Event = { type: 'timer-i' };
const TIMER_L: Event = { type: 'timer-l' };
const CLOSE: Event = { type: 'close' };

export class InviteServerTransaction {
  readonly kind = 'invite-server';
  private current: InviteServerState = 'proceeding';
  /** Sends responses and keeps the last for Timer G and retransmitted INVITEs. */
  private readonly out: ResponseSender;
  private intervalG: number;
  private timerTrying: TimerHandle | undefined;
  private timerG: TimerHandle | undefined;
  private timerH: TimerHandle | undefined;
  private timerI: TimerHandle | undefined;
  private timerL: TimerHandle | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    /** The INVITE, with §18.2.1 Via processing applied. */
    readonly request: SipRequest,
    /** Where it came from; responses go back here (§18.2.2). */
    readonly source: Endpoint,
    /** Server transaction key (§17.2.3). */
    readonly key: string,
    private readonly onTerminated: ServerTerminated<InviteServerTransaction>,
  ) {
    this.intervalG = ctx.timers.T1;
    this.out = new ResponseSender(ctx, source, (error) => this.onSendError(error));
  }

  get state(): InviteServerState {
    return this.current;
  }

  /** The last response sent, if any. */
  get lastResponse(): SipResponse | undefined {
    return this.out.last?.message;
  }

  /** Whether the request came over a reliable transport (selects Timers G and I, §17.2.1). */
  get reliable(): boolean {
    return this.ctx.wire.isReliable(this.source.transport);
  }

  /** Starts the 200 ms Trying timer (§17.2.1). */
  start(): void {
    this.timerTrying = this.ctx.clock.setTimeout(this.fireTrying, this.ctx.timers.trying);
  }

  /**
   * Sends a response from the TU. Returns false when the state does not allow it (a final
   * response was already sent, or the transaction has ended) — e.g. a 200 racing a CANCEL
   * that was already answered with 487. A repeated 100 Trying is accepted and not re-sent.
   */
  respond(response: SipResponse): boolean {
    return this.handle({ type: 'respond', response });
  }

  /** Shorthand for the 100 Trying the UA core usually sends at once (idempotent). */
  trying(): void {
    this.handle(TRYING);
  }

  /** A retransmission of the INVITE matched to this transaction. */
  receiveRequest(): void {
    this.handle(REQUEST);
  }

  /**
   * An ACK matched to this transaction. Returns true when the transaction consumed it
   * (ACK for our non-2xx final); false when it is the TU's (ACK for a 2xx, RFC 6026 §7.1).
   */
  receiveAck(): boolean {
    if (this.current === 'completed' || this.current === 'confirmed') {
      this.handle(ACK);
      return true;
    }
    return false;
  }

  close(): void {
    this.handle(CLOSE);
  }

  /** Every transition of the machine, in one place. Returns false when the event was refused or ignored. */
  private handle(ev: Event): boolean {
    const { clock, timers } = this.ctx;
    switch (this.current) {
      case 'proceeding':
        switch (ev.type) {
          case 'trying':
            // §17.2.1: 100 Trying unless the TU has already sent a provisional response.
            clock.clearTimeout(this.timerTrying);
            this.timerTrying = undefined;
            if (this.out.last === undefined) this.out.send(createResponse(this.request, 100, 'Trying'));
            return true;
          case 'request':
            // §17.2.1: a retransmitted INVITE gets the most recent provisional response again.
            this.out.resend();
            return true;
          case 'respond': {
            const status = ev.response.status;
            clock.clearTimeout(this.timerTrying);
            this.timerTrying = undefined;
            if (status < 200) {
              if (status === 100 && this.out.last?.message.status === 100) return true; // idempotent
              this.out.send(ev.response);
            } else if (status < 300) {
              // RFC 6026 §7.1: 2xx → Accepted for Timer L; the TU retransmits the 2xx itself.
              this.current = 'accepted';
              this.timerL = clock.setTimeout(this.fireL, 64 * timers.T1);
              this.out.send(ev.response);
            } else {
              // §17.2.1: 300-699 → Completed; retransmit on G (unreliable) until ACK or H.
              this.current = 'completed';
              if (!this.reliable) this.timerG = clock.setTimeout(this.fireG, this.intervalG);
              this.timerH = clock.setTimeout(this.fireH, 64 * timers.T1);
              this.out.send(ev.response);
            }
            return true;
          }
          case 'transport-error':
            this.terminate(transportFailure(ev.error));
            return true;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return true;
          default:
            return false;
        }
      case 'completed':
        switch (ev.type) {
          case 'request':
            this.out.resend();
            return true;
          case 'timer-g':
            this.out.resend();
            this.intervalG = Math.min(2 * this.intervalG, timers.T2);
            this.timerG = clock.setTimeout(this.fireG, this.intervalG);
            return true;
          case 'ack':
            // §17.2.1: ACK → Confirmed; Timer I absorbs ACK retransmissions (0 if reliable).
            this.stopTimers();
            this.current = 'confirmed';
            if (this.reliable) this.terminate(TERMINATED_COMPLETED);
            else this.timerI = clock.setTimeout(this.fireI, timers.T4);
            return true;
          case 'timer-h':
            // §17.2.1: the ACK never came — a transaction failure the TU must hear about.
            this.terminate(TERMINATED_TIMEOUT);
            return true;
          case 'transport-error':
            this.terminate(transportFailure(ev.error));
            return true;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return true;
          default:
            return false; // further responses from the TU are refused
        }
      case 'confirmed':
        switch (ev.type) {
          case 'timer-i':
            this.terminate(TERMINATED_COMPLETED);
            return true;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return true;
          default:
            return false; // ACK and INVITE retransmissions are absorbed
        }
      case 'accepted':
        switch (ev.type) {
          case 'respond':
            // RFC 6026 §7.1: the TU's 2xx retransmissions pass through; nothing else may.
            if (ev.response.status >= 200 && ev.response.status < 300) {
              this.out.send(ev.response);
              return true;
            }
            return false;
          case 'timer-l':
            this.terminate(TERMINATED_COMPLETED);
            return true;
          case 'transport-error':
            this.terminate(transportFailure(ev.error));
            return true;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return true;
          default:
            return false; // retransmitted INVITEs are absorbed (RFC 6026 §7.1)
        }
      case 'terminated':
        return false;
    }
  }

  private readonly fireTrying = (): void => {
    this.timerTrying = undefined;
    this.handle(TRYING);
  };
  private readonly fireG = (): void => {
    this.timerG = undefined;
    this.handle(TIMER_G);
  };
  private readonly fireH = (): void => {
    this.timerH = undefined;
    this.handle(TIMER_H);
  };
  private readonly fireI = (): void => {
    this.timerI = undefined;
    this.handle(TIMER_I);
  };
  private readonly fireL = (): void => {
    this.timerL = undefined;
    this.handle(TIMER_L);
  };
  private readonly onSendError = (error: unknown): void => {
    this.handle({ type: 'transport-error', error });
  };


  private stopTimers(): void {
    const { clock } = this.ctx;
    clock.clearTimeout(this.timerTrying);
    clock.clearTimeout(this.timerG);
    clock.clearTimeout(this.timerH);
    clock.clearTimeout(this.timerI);
    clock.clearTimeout(this.timerL);
    this.timerTrying = this.timerG = this.timerH = this.timerI = this.timerL = undefined;
  }

  private terminate(termination: Termination): void {
    this.stopTimers();
    this.current = 'terminated';
    this.ctx.ended(this, termination);
    this.onTerminated(this, termination);
  }
}
