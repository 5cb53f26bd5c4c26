/**
 * What the four transaction state machines (RFC 3261 §17) share: their timer values, how
 * they end, and the narrow view of the transport layer they send through.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Endpoint, SipRequest, SipResponse } from '../message.ts';

/** RFC 3261 §17.1.1.1 / Table 4 base values, in ms. */
export interface TimerValues {
  /** RTT estimate. */
  readonly T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. */
  readonly T2: number;
  /** Maximum time a message may remain in the network. */
  readonly T4: number;
  /** Timer D over unreliable transports: "at least 32 seconds" (§17.1.1.2). */
  readonly D: number;
  /** §17.2.1: the INVITE server transaction sends 100 Trying if the TU has not answered within this. */
  readonly trying: number;
}

export const DEFAULT_TIMERS: TimerValues = Object.freeze({ T1: 500, T2: 4000, T4: 5000, D: 32_000, trying: 200 });

/**
 * Why a transaction ended. 'completed' is the normal end (final response exchanged and the
 * absorbing timer ran out); 'timeout' is Timer B or F (no final response; the TU treats it
 * as 408, §8.1.3.1) or Timer H (the ACK never came, §17.2.1); 'transport-error' is a send
 * failure (§17.1.4, §17.2.4); 'closed' means the layer was shut down.
 */
export type TerminationReason = 'completed' | 'timeout' | 'transport-error' | 'closed';

export interface Termination {
  readonly reason: TerminationReason;
  /** For 'transport-error': the TransportError. */
  readonly error?: Error;
}

/** A request serialized for one destination, as the transport layer prepared it (§18.1.1). */
export interface OutboundRequest {
  /** The request with its top Via completed (transport, sent-by). */
  readonly message: SipRequest;
  readonly bytes: Buffer;
  readonly dest: Endpoint;
  /** Whether dest's transport is reliable (selects timers, §17.1.1.2). */
  readonly reliable: boolean;
}

/** A response serialized with its destination chosen per §18.2.2. */
export interface OutboundResponse {
  readonly message: SipResponse;
  readonly bytes: Buffer;
  readonly dest: Endpoint;
  /** Where to try if sending to dest fails (§18.2.2: connection gone → received + sent-by port). */
  readonly fallback?: Endpoint;
}

/** The part of the transport layer a transaction sends through. */
export interface TransactionWire {
  transmit(out: OutboundRequest | OutboundResponse): Promise<void>;
  prepareResponse(response: SipResponse, source: Endpoint): OutboundResponse;
  isReliable(transport: Endpoint['transport']): boolean;
}

/** What every transaction gets from the layer that owns it. */
export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly wire: TransactionWire;
  /** Called exactly once when a transaction enters Terminated, so the layer can forget it. */
  ended(tx: { readonly key: string }, termination: Termination): void;
}

/** RFC 3261 §8.1.1.7: branch IDs start with the magic cookie and are unique in space and time. */
export const MAGIC_COOKIE = 'z9hG4bK';

export function newBranch(): string {
  return MAGIC_COOKIE + randomUUID().replaceAll('-', '');
}

export const TERMINATED_COMPLETED: Termination = Object.freeze({ reason: 'completed' });
export const TERMINATED_TIMEOUT: Termination = Object.freeze({ reason: 'timeout' });
export const TERMINATED_CLOSED: Termination = Object.freeze({ reason: 'closed' });

export function transportFailure(error: unknown): Termination {
  return { reason: 'transport-error', error: error instanceof Error ? error : new Error(String(error)) };
}

/** How a client transaction reports to the TU that created it. */
export interface ClientTransactionUser<Tx> {
  /** Every response the TU must see: provisionals, the final response, and (INVITE) 2xx retransmissions. */
  response(response: SipResponse, tx: Tx): void;
  /** Once, when the transaction ends; 'timeout' and 'transport-error' mean no final response came. */
  terminated?(termination: Termination, tx: Tx): void;
}

/** How a server transaction reports its end to the layer's TU. */
export type ServerTerminated<Tx> = (tx: Tx, termination: Termination) => void;

/**
 * A server transaction's response path: sends what the TU gives it and keeps the last
 * response for retransmission (§17.2.1 Timer G and retransmitted INVITEs; §17.2.2
 * retransmitted requests in Proceeding/Completed).
 */
export class ResponseSender {
  /** The last response sent. */
  last: OutboundResponse | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    private readonly source: Endpoint,
    private readonly onError: (error: unknown) => void,
  ) {}

  send(response: SipResponse): void {
    let out: OutboundResponse;
    try {
      out = this.ctx.wire.prepareResponse(response, this.source);
    } catch (error) {
      this.onError(error);
      return;
    }
    this.last = out;
    this.ctx.wire.transmit(out).catch(this.onError);
  }

  resend(): void {
    if (this.last) this.ctx.wire.transmit(this.last).catch(this.onError);
  }
}
