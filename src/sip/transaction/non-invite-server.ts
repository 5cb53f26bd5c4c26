/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2.
 *
 *   state       event              action                                 next
 *   Trying      request (retrans.) discard                                Trying
 *   Trying/Pr.  1xx from TU        send                                   Proceeding
 *   Proceeding  request (retrans.) re-send the last provisional           Proceeding
 *   Trying/Pr.  200-699 from TU    send, start Timer J (64·T1, 0 reliable) Completed
 *   Completed   request (retrans.) re-send the final response             Completed
 *   Completed   response from TU   refuse                                 Completed
 *   Completed   Timer J            —                                      Terminated
 *   any         transport error    inform TU                              Terminated
 */
import type { TimerHandle } from '../../clock.ts';
import type { Endpoint, SipRequest, SipResponse } from '../message.ts';
import {
  TERMINATED_CLOSED,
  TERMINATED_COMPLETED,
  transportFailure,
  ResponseSender,
  type ServerTerminated,
  type Termination,
  type TransactionContext,
} from './transaction.ts';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

type Event =
  | { readonly type: 'respond'; readonly response: SipResponse }
  | { readonly type: 'request' | 'timer-j' | 'close' }
  | { readonly type: 'transport-error'; readonly error: unknown };

const REQUEST: Event = { type: 'request' };
const TIMER_J: Event = { type: 'timer-j' };
const CLOSE: Event = { type: 'close' };

export class NonInviteServerTransaction {
  readonly kind = 'non-invite-server';
  private current: NonInviteServerState = 'trying';
  private readonly out: ResponseSender;
  private timerJ: TimerHandle | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    readonly request: SipRequest,
    readonly source: Endpoint,
    readonly key: string,
    private readonly onTerminated: ServerTerminated<NonInviteServerTransaction>,
  ) {
    this.out = new ResponseSender(ctx, source, (error) => this.onSendError(error));
  }

  get state(): NonInviteServerState {
    return this.current;
  }

  get lastResponse(): SipResponse | undefined {
    return this.out.last?.message;
  }

  get reliable(): boolean {
    return this.ctx.wire.isReliable(this.source.transport);
  }

  /** Nothing to arm: a non-INVITE server transaction waits for the TU (§17.2.2). */
  start(): void {}

  /** Sends a response from the TU; false once a final response has been sent or the transaction ended. */
  respond(response: SipResponse): boolean {
    return this.handle({ type: 'respond', response });
  }

  receiveRequest(): void {
    this.handle(REQUEST);
  }

  close(): void {
    this.handle(CLOSE);
  }

  /** Every transition of the machine, in one place. Returns false when the event was refused or ignored. */
  private handle(ev: Event): boolean {
    switch (this.current) {
      case 'trying':
      case 'proceeding':
        switch (ev.type) {
          case 'request':
            // §17.2.2: discarded in Trying; in Proceeding the last provisional goes out again.
            if (this.current === 'proceeding') this.out.resend();
            return true;
          case 'respond':
            if (ev.response.status < 200) {
              this.current = 'proceeding';
              this.out.send(ev.response);
              return true;
            }
            // §17.2.2: final → Completed; Timer J absorbs request retransmissions (0 if reliable).
            this.current = 'completed';
            this.out.send(ev.response);
            if (this.current !== 'completed') return true; // the send failed synchronously
            if (this.reliable) this.terminate(TERMINATED_COMPLETED);
            else this.timerJ = this.ctx.clock.setTimeout(this.fireJ, 64 * this.ctx.timers.T1);
            return true;
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
          case 'timer-j':
            this.terminate(TERMINATED_COMPLETED);
            return true;
          case 'transport-error':
            this.terminate(transportFailure(ev.error));
            return true;
          case 'close':
            this.terminate(TERMINATED_CLOSED);
            return true;
          default:
            return false; // §17.2.2: further finals from the TU are discarded
        }
      case 'terminated':
        return false;
    }
  }

  private readonly fireJ = (): void => {
    this.timerJ = undefined;
    this.handle(TIMER_J);
  };
  private readonly onSendError = (error: unknown): void => {
    this.handle({ type: 'transport-error', error });
  };


  private terminate(termination: Termination): void {
    this.ctx.clock.clearTimeout(this.timerJ);
    this.timerJ = undefined;
    this.current = 'terminated';
    this.ctx.ended(this, termination);
    this.onTerminated(this, termination);
  }
}
