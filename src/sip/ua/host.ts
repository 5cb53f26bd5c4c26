/**
 * What a dialog-level object (session, inbound or outbound INVITE) needs from the user
 * agent that owns it. Keeps those objects free of the UA's tables.
 */
import type { Clock } from '../../clock.ts';
import { createResponse } from '../build.ts';
import type { Endpoint, SipRequest, SipResponse } from '../message.ts';
import type { TransactionLayer } from '../transaction/layer.ts';
import type { Logger } from '../transport/transport.ts';
import type { SipSession } from './session.ts';

export interface UaHost {
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly log: Logger;
  /** T1 and T2 in ms (§17.1.1.1): 2xx retransmission and ACK wait follow them. */
  readonly T1: number;
  readonly T2: number;
  /** Our Contact header value for a dialog on this transport (§8.1.1.8). */
  contact(transport: Endpoint['transport']): string;
  /** Header values we advertise: Allow, Supported, User-Agent. */
  readonly allow: string;
  readonly supported: string;
  readonly userAgent: string;
  /** The dialog now has its key (or changed it): route in-dialog requests to it. */
  register(session: SipSession): void;
  /** The session ended: forget it. */
  forget(session: SipSession): void;
}

/** §11.2: the answer to OPTIONS, in or out of a dialog — what we allow, accept and support. */
export function optionsResponse(host: UaHost, request: SipRequest): SipResponse {
  return createResponse(request, 200, 'OK', {
    headers: [
      ['Allow', host.allow],
      ['Accept', 'application/sdp'],
      ['Supported', host.supported],
      ['User-Agent', host.userAgent],
    ],
  });
}
