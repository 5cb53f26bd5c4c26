/**
 * RFC 3261 §13.3.1.4: the UAS core, not the transaction, makes the 2xx to an INVITE
 * reliable. It passes the 2xx to the transport at T1, 2·T1, 4·T1 … capped at T2 until the
 * ACK arrives, and gives up after 64·T1, when it must end the dialog with a BYE.
 * Over a reliable transport the transport does not lose the 2xx, so only the ACK wait runs.
 */
import type { SipRequest, SipResponse } from '../message.ts';
import type { TimerHandle } from '../../clock.ts';
import type { InviteServerTransaction } from '../transaction/invite-server.ts';
import { getHeader, parseCSeq } from '../headers.ts';
import type { UaHost } from './host.ts';

export class Retransmit2xx {
  private interval: number;
  private timer: TimerHandle | undefined;
  private readonly deadline: TimerHandle;
  private done = false;
  private readonly seq: number;

  constructor(
    private readonly host: UaHost,
    private readonly tx: InviteServerTransaction,
    private readonly response: SipResponse,
    request: SipRequest,
    private readonly onTimeout: () => void,
    reliable = false,
  ) {
    this.seq = parseCSeq(getHeader(request, 'CSeq') ?? '').seq;
    this.interval = host.T1;
    tx.respond(response);
    if (!reliable) this.timer = host.clock.setTimeout(this.fire, this.interval);
    this.deadline = host.clock.setTimeout(this.expire, 64 * host.T1);
  }

  /** Does this ACK acknowledge our 2xx? (§13.2.2.4: same CSeq number, method ACK.) */
  matches(ack: SipRequest): boolean {
    return parseCSeq(getHeader(ack, 'CSeq') ?? '').seq === this.seq;
  }

  acked(): void {
    this.cancel();
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.host.clock.clearTimeout(this.timer);
    this.host.clock.clearTimeout(this.deadline);
  }

  private readonly fire = (): void => {
    if (this.done) return;
    this.tx.respond(this.response);
    this.interval = Math.min(this.interval * 2, this.host.T2);
    this.timer = this.host.clock.setTimeout(this.fire, this.interval);
  };

  private readonly expire = (): void => {
    if (this.done) return;
    this.cancel();
    this.onTimeout();
  };
}
