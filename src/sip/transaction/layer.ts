/**
 * The transaction layer (RFC 3261 §17): creates client transactions for the TU, matches
 * inbound responses to them (§17.1.3) and inbound requests to server transactions
 * (§17.2.3), creating a server transaction for each new request. Retransmitted requests
 * are absorbed by their server transaction; ACKs for 2xx and responses that match nothing
 * go to the TU directly.
 *
 * Matching is one Map lookup per message. Keys:
 * - client: branch + CSeq method (§17.1.3);
 * - server: branch + sent-by + method, ACK counting as INVITE (§17.2.3); a CANCEL is its
 *   own transaction (method CANCEL) and findInviteServerTransaction finds the INVITE it
 *   refers to (§9.2);
 * - server, RFC 2543 peers (branch without "z9hG4bK"): Request-URI, To tag, From tag,
 *   Call-ID, CSeq and top Via (§17.2.3), the To tag left out for INVITE so that the ACK —
 *   which carries the tag of our response — finds it, and is then checked against it.
 */
import { realClock, type Clock } from '../../clock.ts';
import type { Endpoint, SipRequest, SipResponse, Via } from '../message.ts';
import { formatVia, getHeader, parseCSeq, parseNameAddr, parseVia } from '../headers.ts';
import type { TransportLayer } from '../transport/layer.ts';
import { nullLogger, type Logger } from '../transport/transport.ts';
import { InviteClientTransaction } from './invite-client.ts';
import { InviteServerTransaction } from './invite-server.ts';
import { NonInviteClientTransaction } from './non-invite-client.ts';
import { NonInviteServerTransaction } from './non-invite-server.ts';
import {
  DEFAULT_TIMERS,
  MAGIC_COOKIE,
  TERMINATED_CLOSED,
  newBranch,
  type ClientTransactionUser,
  type OutboundRequest,
  type Termination,
  type TimerValues,
  type TransactionContext,
} from './transaction.ts';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** The transaction user (the UA core): where requests, 2xx ACKs and stray responses go. */
export interface TransactionUser {
  /** A new request (never an ACK, never a retransmission) with the server transaction to answer it on. */
  request(tx: ServerTransaction, request: SipRequest): void;
  /** An ACK that is not part of an INVITE transaction: the ACK for a 2xx (§13.3.1.4, §17.2.3). */
  ack(ack: SipRequest, source: Endpoint): void;
  /** A response that matches no client transaction (§17.1.3), e.g. a 2xx retransmitted after Timer M. */
  strayResponse(response: SipResponse, source: Endpoint): void;
  /**
   * A server transaction ended. 'timeout' (Timer H: the ACK for our non-2xx never came,
   * §17.2.1) and 'transport-error' (§17.2.4) are failures the TU must act on.
   */
  serverTransactionTerminated?(tx: ServerTransaction, termination: Termination): void;
}

export interface TransactionLayerOptions {
  readonly transport: TransportLayer;
  readonly user: TransactionUser;
  readonly clock?: Clock;
  /** Override T1, T2, T4, D (unreliable Timer D) or the 100 Trying delay. */
  readonly timers?: Partial<TimerValues>;
  readonly logger?: Logger;
}

export interface TransactionStats {
  /** Retransmitted requests absorbed by a server transaction. */
  absorbed: number;
  /** Responses that matched no client transaction. */
  stray: number;
}

export class TransactionLayer {
  readonly stats: TransactionStats = { absorbed: 0, stray: 0 };
  readonly timers: TimerValues;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly transport: TransportLayer;
  private readonly user: TransactionUser;
  private readonly log: Logger;
  private readonly ctx: TransactionContext;

  constructor(opts: TransactionLayerOptions) {
    this.transport = opts.transport;
    this.user = opts.user;
    this.log = opts.logger ?? nullLogger;
    this.timers = Object.freeze({ ...DEFAULT_TIMERS, ...opts.timers });
    const clock: Clock = opts.clock ?? realClock();
    this.ctx = {
      clock,
      timers: this.timers,
      wire: this.transport,
      ended: (tx) => {
        if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
        else if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
      },
    };
    this.transport.onRequest(this.receiveRequest);
    this.transport.onResponse(this.receiveResponse);
  }

  /** Live client transactions. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Live server transactions. */
  get serverCount(): number {
    return this.servers.size;
  }

  /**
   * Starts a client transaction: an INVITE one for INVITE, a non-INVITE one otherwise
   * (§17.1). The request's top Via gets a fresh branch unless it already carries an
   * RFC 3261 one (a CANCEL reuses its INVITE's, §9.1); a missing Via is added. The
   * transport layer completes the Via's sent-by (§18.1.1). Throws when there is no
   * transport for `dest`; send failures come back as a 'transport-error' termination.
   */
  createClientTransaction(request: SipRequest, dest: Endpoint, user: ClientTransactionUser<ClientTransaction>): ClientTransaction {
    if (request.method === 'ACK') throw new Error('ACK is not a transaction: use sendAck (§17.1.1.3, §13.2.2.4)');
    const { message, branch } = this.withBranch(request, dest, false);
    const out = this.transport.prepareRequest(message, dest);
    const key = clientKey(branch, request.method);
    const tx =
      request.method === 'INVITE'
        ? new InviteClientTransaction(this.ctx, out, key, user)
        : new NonInviteClientTransaction(this.ctx, out, key, user);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * §13.2.2.4: the ACK for a 2xx is sent by the TU outside any transaction, with a new
   * branch. Resolves with what was sent, so the TU can re-send the same bytes with
   * `resend` when the 2xx is retransmitted.
   */
  sendAck(ack: SipRequest, dest: Endpoint): Promise<OutboundRequest> {
    if (ack.method !== 'ACK') return Promise.reject(new Error('sendAck: not an ACK'));
    let message: SipRequest;
    try {
      message = this.withBranch(ack, dest, true).message;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.transport.sendRequest(message, dest);
  }

  /** Sends prepared bytes again (an ACK for a retransmitted 2xx). */
  resend(out: OutboundRequest): Promise<void> {
    return this.transport.transmit(out);
  }

  /**
   * Sends a response outside any transaction, routed per §18.2.2 — for a 2xx the TU
   * retransmits after its INVITE server transaction has ended (§13.3.1.4).
   */
  sendResponse(response: SipResponse, source?: Endpoint): Promise<void> {
    return this.transport.sendResponse(response, source);
  }

  /** §9.2: the INVITE server transaction a CANCEL refers to (same key, method INVITE). */
  findInviteServerTransaction(cancel: SipRequest): InviteServerTransaction | undefined {
    const index = indexOfVia(cancel);
    if (index < 0) return undefined;
    const via = parseVia(cancel.headers[index]!.value);
    const tx = this.servers.get(serverKey(cancel, via, index, 'INVITE'));
    return tx?.kind === 'invite-server' ? tx : undefined;
  }

  /** Ends every transaction ('closed'); call before closing the transport layer. */
  close(): void {
    for (const tx of [...this.clients.values()]) tx.close();
    for (const tx of [...this.servers.values()]) tx.close();
  }

  // ---- inbound ------------------------------------------------------------------------

  /** §17.1.3: a response belongs to the client transaction with its top Via branch and CSeq method. */
  private readonly receiveResponse = (response: SipResponse, source: Endpoint, via: Via): void => {
    try {
      const branch = via.params.get('branch');
      const cseq = getHeader(response, 'CSeq');
      const tx = branch && cseq ? this.clients.get(clientKey(branch, parseCSeq(cseq).method)) : undefined;
      if (tx) tx.receive(response);
      else {
        this.stats.stray++;
        this.user.strayResponse(response, source);
      }
    } catch (err) {
      this.log.error({ err: errorText(err), status: response.status }, 'sip: response handling failed');
    }
  };

  /** §17.2.3: a request belongs to the server transaction with the same key; ACK to its INVITE's. */
  private readonly receiveRequest = (request: SipRequest, source: Endpoint, via: Via): void => {
    try {
      const index = indexOfVia(request);
      if (request.method === 'ACK') {
        const tx = this.servers.get(serverKey(request, via, index, 'INVITE'));
        // §17.2.3 (RFC 2543): the ACK's To tag must also match our response's.
        if (tx?.kind === 'invite-server' && (isRfc3261(via) || toTag(request) === responseToTag(tx)) && tx.receiveAck()) return;
        this.user.ack(request, source);
        return;
      }
      const key = serverKey(request, via, index, request.method);
      const existing = this.servers.get(key);
      if (existing) {
        this.stats.absorbed++;
        existing.receiveRequest();
        return;
      }
      const tx =
        request.method === 'INVITE'
          ? new InviteServerTransaction(this.ctx, request, source, key, this.serverEnded)
          : new NonInviteServerTransaction(this.ctx, request, source, key, this.serverEnded);
      this.servers.set(key, tx);
      tx.start();
      this.user.request(tx, request);
    } catch (err) {
      this.log.error({ err: errorText(err), method: request.method }, 'sip: request handling failed');
    }
  };

  private readonly serverEnded = (tx: ServerTransaction, termination: Termination): void => {
    this.user.serverTransactionTerminated?.(tx, termination);
  };

  /**
   * Puts a branch on the top Via (§8.1.1.7), adding the Via when absent. `fresh` forces a
   * new branch (ACK for 2xx); otherwise an existing RFC 3261 branch is kept.
   */
  private withBranch(request: SipRequest, dest: Endpoint, fresh: boolean): { message: SipRequest; branch: string } {
    const index = indexOfVia(request);
    if (index < 0) {
      const branch = newBranch();
      const sentBy = this.transport.sentBy(dest.transport);
      const via: Via = {
        protocol: 'SIP/2.0',
        transport: dest.transport.toUpperCase(),
        host: sentBy.host,
        port: sentBy.port,
        params: new Map([['branch', branch]]),
      };
      return { message: { ...request, headers: [{ name: 'Via', value: formatVia(via) }, ...request.headers] }, branch };
    }
    const via = parseVia(request.headers[index]!.value);
    const existing = via.params.get('branch');
    if (!fresh && existing && existing.startsWith(MAGIC_COOKIE)) return { message: request, branch: existing };
    const branch = newBranch();
    const headers = request.headers.slice();
    headers[index] = { name: 'Via', value: formatVia({ ...via, params: new Map(via.params).set('branch', branch) }) };
    return { message: { ...request, headers }, branch };
  }
}

function clientKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

function isRfc3261(via: Via): boolean {
  const branch = via.params.get('branch');
  return branch !== undefined && branch !== null && branch.startsWith(MAGIC_COOKIE);
}

/**
 * §17.2.3 server transaction key for `method` (INVITE for an ACK or a CANCEL lookup).
 * RFC 3261 peers: branch + sent-by + method. RFC 2543 peers: Request-URI, To tag (not for
 * INVITE, see the file comment), From tag, Call-ID, CSeq number, top Via, method.
 */
function serverKey(request: SipRequest, via: Via, viaIndex: number, method: string): string {
  const branch = via.params.get('branch');
  if (branch && branch.startsWith(MAGIC_COOKIE)) {
    return `${branch}\u0000${via.host.toLowerCase()}:${via.port ?? ''}\u0000${method}`;
  }
  const cseq = parseCSeq(getHeader(request, 'CSeq') ?? '');
  const to = method === 'INVITE' ? '' : toTag(request);
  const from = tagOf(getHeader(request, 'From'));
  const callId = getHeader(request, 'Call-ID') ?? '';
  const topVia = request.headers[viaIndex]?.value ?? '';
  return `2543\u0000${request.uri}\u0000${to}\u0000${from}\u0000${callId}\u0000${cseq.seq}\u0000${topVia}\u0000${method}`;
}

function tagOf(value: string | undefined): string {
  if (value === undefined) return '';
  return parseNameAddr(value).params.get('tag') ?? '';
}

function toTag(msg: SipRequest | SipResponse): string {
  return tagOf(getHeader(msg, 'To'));
}

function responseToTag(tx: InviteServerTransaction): string | undefined {
  const last = tx.lastResponse;
  return last ? toTag(last) : undefined;
}

function indexOfVia(msg: SipRequest): number {
  const { headers } = msg;
  for (let i = 0; i < headers.length; i++) if (headers[i]!.name === 'Via') return i;
  return -1;
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
