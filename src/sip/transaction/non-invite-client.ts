/**
 * Non-INVITE client transaction: RFC 3261 §17.1.2.
 *
 *   state       event             action                                     next
 *   Trying      Timer E           retransmit, E = min(2·E, T2) (unreliable)  Trying
 *   Trying/Pr.  Timer F (64·T1)   inform TU: timeout                         Terminated
 *   Trying/Pr.  1xx               pass to TU                                 Proceeding
 *   Proceeding  Timer E           retransmit, E = T2                         Proceeding
 *   Trying/Pr.  200-699           pass to TU, start Timer K                  Completed
 *   Completed   any response      absorb                                     Completed
 *   Completed   Timer K           —                                          Terminated
 *   any         transport error   inform TU                                  Terminated
 *
 * Timer K is T4 over unreliable transports and 0 (terminate at once) over reliable ones.
 */
import type { TimerHandle } from '../../clock.ts';
import type { SipRequest, SipResponse } from '../message.ts';
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

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

type Event =
  | { readonly type: 'provisional' | 'final'; readonly response: SipResponse }
  | { readonly type: 'timer-e' | 'timer-f' | 'timer-k' | 'close' }
  | { readonly type: 'transport-error'; readonly error: unknown };

const TIMER_E: Event = { type: 'timer-e' };
const TIMER_F: Event = { type: 'timer-f' };
const TIMER_K: Event = { type: 'timer-k' };
const CLOSE: Event = { type: 'close' };

export class NonInviteClientTransaction {
  readonly kind = 'non-invite-client';
  private current: NonInviteClientState = 'trying';
  private intervalE: number;
  private timerE: TimerHandle | undefined;
  private timerF: TimerHandle | undefined;
  private timerK: TimerHandle | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    readonly outbound: OutboundRequest,
    /** Client transaction key: branch + CSeq method (§17.1.3). */
    readonly key: string,
    private readonly user: ClientTransactionUser<NonInviteClientTransaction>,
  ) {
    this.intervalE = ctx.timers.T1;
  }

  get state(): NonInviteClientState {
    return this.current;
  }

  get request(): SipRequest {
    return this.outbound.message;
  }

  /** Sends the request and starts Timers E (unreliable only) and F (§17.1.2.2). */
  start(): void {
    this.send();
    if (!this.outbound.reliable) this.timerE = this.ctx.clock.setTimeout(this.fireE, this.intervalE);
    this.timerF = this.ctx.clock.setTimeout(this.fireF, 64 * this.ctx.timers.T1);
  }

  receive(response: SipResponse): void {
    this.handle({ type: response.status < 200 ? 'provisional' : 'final', response });
  }

  close(): void {
    this.handle(CLOSE);
  }

  /** Every transition of the machine, in one place. */
  private handle(ev: Event): void {
    const { timers, clock } = this.ctx;
    switch (this.current) {
      case 'trying':
      case 'proceeding':
        switch (ev.type) {
          case 'timer-e':
            // §17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2.
            this.send();
            this.intervalE = this.current === 'trying' ? Math.min(2 * this.intervalE, timers.T2) : timers.T2;
            this.timerE = clock.setTimeout(this.fireE, this.intervalE);
            return;
          case 'timer-f':
            this.terminate(TERMINATED_TIMEOUT);
            return;
          case 'provisional':
            this.current = 'proceeding';
            this.user.response(ev.response, this);
            return;
          case 'final':
            // §17.1.2.2: stop E and F; Timer K absorbs retransmitted finals (T4, or 0 if reliable).
            this.stopTimers();
            this.current = 'completed';
            this.user.response(ev.response, this);
            if (this.current !== 'completed') return; // closed from inside the TU's handler
            if (this.outbound.reliable) this.terminate(TERMINATED_COMPLETED);
            else this.timerK = clock.setTimeout(this.fireK, timers.T4);
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
          case 'timer-k':
            this.terminate(TERMINATED_COMPLETED);
            return;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return;
          default:
            return; // retransmitted responses are absorbed
        }
      case 'terminated':
        return;
    }
  }

  private readonly fireE = (): void => {
    this.timerE = undefined;
    this.handle(TIMER_E);
  };
  private readonly fireF = (): void => {
    this.timerF = undefined;
    this.handle(TIMER_F);
  };
  private readonly fireK = (): void => {
    this.timerK = undefined;
    this.handle(TIMER_K);
  };
  private readonly onSendError = (error: unknown): void => {
    this.handle({ type: 'transport-error', error });
  };

  private send(): void {
    this.ctx.wire.transmit(this.outbound).catch(this.onSendError);
  }

  private stopTimers(): void {
    const { clock } = this.ctx;
    clock.clearTimeout(this.timerE);
    clock.clearTimeout(this.timerF);
    clock.clearTimeout(this.timerK);
    this.timerE = this.timerF = this.timerK = undefined;
  }

  private terminate(termination: Termination): void {
    this.stopTimers();
    this.current = 'terminated';
    this.ctx.ended(this, termination);
    this.user.terminated?.(termination, this);
  }
}
