/**
 * The user agent core (RFC 3261 §8.2, §12–15): the transaction user that turns requests
 * into calls. It owns the dialog table, answers what needs no application (OPTIONS,
 * CANCEL, BYE/INFO in a known dialog, 481 for unknown dialogs, 405/501), refuses new calls
 * with 503 + Retry-After above the call limit (§21.5.4), and hands every new INVITE to the
 * application as an InboundInvite. Outbound calls go through `invite()`.
 */
import type { Clock } from '../../clock.ts';
import { realClock } from '../../clock.ts';
import type { Endpoint, SipRequest, SipResponse } from '../message.ts';
import { createResponse } from '../build.ts';
import { getHeader, getHeaders } from '../headers.ts';
import { requestDialogKey, dialogKey } from '../dialog.ts';
import { parseNameAddr } from '../headers.ts';
import { uriScheme } from '../uri.ts';
import { TransactionLayer, type ServerTransaction } from '../transaction/layer.ts';
import type { Termination, TimerValues } from '../transaction/transaction.ts';
import type { InviteServerTransaction } from '../transaction/invite-server.ts';
import { TransportLayer, type ListenOptions } from '../transport/layer.ts';
import { nullLogger, type Logger } from '../transport/transport.ts';
import { optionsResponse, type UaHost } from './host.ts';
import { InboundInvite } from './inbound-invite.ts';
import { placeCall, type InviteOptions } from './outbound-invite.ts';
import type { SipSession } from './session.ts';

/** Methods we implement (Allow, §20.5). */
const ALLOW = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REGISTER'];
/** Methods we know but do not serve here: 405 rather than 501 (§8.2.1, §21.5.2 vs §21.5.6). */
const KNOWN = new Set(['SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'MESSAGE', 'REFER', 'UPDATE', 'PRACK']);

export interface UserAgentStats {
  invites: number;
  rejectedOverload: number;
  answered: number;
  cancelled: number;
}

export interface UserAgentOptions {
  readonly listen: ListenOptions;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** New INVITEs beyond this many calls in progress get 503 with Retry-After. */
  readonly maxCalls?: number;
  /** Seconds in that Retry-After. */
  readonly retryAfter?: number;
  /**
   * New INVITEs beyond this many not yet answered (set up in progress) get 503 too: when
   * set-up latency grows the node is saturated, and shedding the excess keeps the calls it
   * accepted clean instead of letting every caller time out (RFC 3261 §21.5.4).
   */
  readonly maxPendingInvites?: number;
  readonly userAgent?: string;
  readonly timers?: Partial<TimerValues>;
  /** User part of our Contact. */
  readonly contactUser?: string;
  /** An INVITE the application leaves unanswered this long gets 480 (a Proceeding INVITE never times out by itself). */
  readonly answerTimeoutMs?: number;
  /** REGISTER handling (auth + registrar); without it REGISTER gets 405. */
  readonly register?: (request: SipRequest, source: Endpoint) => Promise<SipResponse>;
  /**
   * Optional screening of new INVITEs before the application sees them (e.g. digest auth
   * for agent phones). Return a response to refuse, undefined to let it through.
   */
  readonly screenInvite?: (request: SipRequest, source: Endpoint) => Promise<SipResponse | undefined>;
}

export class UserAgent {
  readonly stats: UserAgentStats = { invites: 0, rejectedOverload: 0, answered: 0, cancelled: 0 };
  private readonly sessions = new Map<string, SipSession>();
  private readonly invites = new Map<InviteServerTransaction, InboundInvite>();
  private readonly invitesByKey = new Map<string, InboundInvite>();
  private inviteHandler: (invite: InboundInvite) => void = (invite) => invite.reject(480, 'Temporarily Unavailable');
  private readonly host: UaHost;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly maxCalls: number;
  private readonly retryAfter: string;
  private readonly maxPending: number;
  private readonly answerTimeoutMs: number;

  private constructor(
    readonly transport: TransportLayer,
    private readonly opts: UserAgentOptions,
  ) {
    this.log = opts.logger ?? nullLogger;
    this.clock = opts.clock ?? realClock();
    this.maxCalls = opts.maxCalls ?? 5000;
    this.retryAfter = String(opts.retryAfter ?? 5);
    this.maxPending = opts.maxPendingInvites ?? 400;
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 180_000;
    const transactions = new TransactionLayer({
      transport,
      clock: this.clock,
      logger: this.log,
      ...(opts.timers ? { timers: opts.timers } : {}),
      user: {
        request: (tx, request) => this.receive(tx, request),
        ack: (ack) => this.receiveAck(ack),
        strayResponse: () => {},
        serverTransactionTerminated: (tx, t) => this.serverEnded(tx, t),
      },
    });
    const contactUser = opts.contactUser ?? 'surgeline';
    const sessions = this.sessions;
    this.host = {
      transactions,
      clock: this.clock,
      log: this.log,
      T1: transactions.timers.T1,
      T2: transactions.timers.T2,
      allow: ALLOW.join(', '),
      supported: '',
      userAgent: opts.userAgent ?? 'surgeline',
      contact: (t) => {
        const { host, port } = transport.sentBy(t);
        const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
        return `<sip:${contactUser}@${h}:${port}${t === 'udp' ? '' : `;transport=${t}`}>`;
      },
      register: (s) => sessions.set(s.key, s),
      forget: (s) => {
        if (sessions.get(s.key) === s) sessions.delete(s.key);
      },
    };
  }

  static async start(opts: UserAgentOptions): Promise<UserAgent> {
    const transport = await TransportLayer.listen({ ...opts.listen, ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
    return new UserAgent(transport, opts);
  }

  get transactions(): TransactionLayer {
    return this.host.transactions;
  }

  /** Calls in progress: INVITEs not yet settled plus established sessions. */
  get activeCalls(): number {
    return this.invites.size + this.sessions.size;
  }

  /** Where new calls go. */
  onInvite(handler: (invite: InboundInvite) => void): void {
    this.inviteHandler = handler;
  }

  /** Place a call. */
  invite(opts: InviteOptions): Promise<SipSession> {
    return placeCall(this.host, opts);
  }

  /** End every session with BYE and close the sockets. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.sessions.values()].map((s) => s.bye('shutdown')));
    for (const invite of this.invites.values()) invite.reject(503, 'Service Unavailable', [['Retry-After', this.retryAfter]]);
    this.host.transactions.close();
    await this.transport.close();
  }

  private receive(tx: ServerTransaction, request: SipRequest): void {
    try {
      this.dispatch(tx, request);
    } catch (err) {
      // A request we could not process must not take the node down (bad input loses nothing else).
      this.log.warn({ method: request.method, err: String(err) }, 'request handling failed');
      tx.respond(createResponse(request, 500, 'Server Internal Error'));
    }
  }

  private dispatch(tx: ServerTransaction, request: SipRequest): void {
    const method = request.method;
    const scheme = uriScheme(request.uri);
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
      // §8.2.2.1: a Request-URI scheme we do not understand.
      tx.respond(createResponse(request, 416, 'Unsupported URI Scheme'));
      return;
    }
    const toTag = tagOf(getHeader(request, 'To'));
    if (toTag !== undefined && method !== 'CANCEL') {
      const key = requestDialogKey(request);
      const session = key !== undefined ? this.sessions.get(key) : undefined;
      if (session) session.receive(tx, request);
      // §12.2.2: a request for a dialog we do not have.
      else tx.respond(createResponse(request, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    const unsupported = this.unsupportedRequire(request);
    if (unsupported.length > 0 && method !== 'CANCEL') {
      // §8.2.2.3: we support no extensions that a request could require.
      tx.respond(createResponse(request, 420, 'Bad Extension', { headers: [['Unsupported', unsupported.join(', ')]] }));
      return;
    }
    switch (method) {
      case 'INVITE':
        this.newInvite(tx as InviteServerTransaction, request);
        return;
      case 'CANCEL':
        this.cancel(tx, request);
        return;
      case 'OPTIONS':
        tx.respond(optionsResponse(this.host, request));
        return;
      case 'REGISTER':
        if (!this.opts.register) {
          tx.respond(createResponse(request, 405, 'Method Not Allowed', { headers: [['Allow', this.host.allow]] }));
          return;
        }
        this.opts.register(request, tx.source).then(
          (res) => tx.respond(res),
          (err: unknown) => {
            this.log.error({ err: String(err) }, 'REGISTER failed');
            tx.respond(createResponse(request, 500, 'Server Internal Error'));
          },
        );
        return;
      case 'BYE':
      case 'INFO':
        tx.respond(createResponse(request, 481, 'Call/Transaction Does Not Exist'));
        return;
      default:
        if (KNOWN.has(method)) tx.respond(createResponse(request, 405, 'Method Not Allowed', { headers: [['Allow', this.host.allow]] }));
        else tx.respond(createResponse(request, 501, 'Not Implemented', { headers: [['Allow', this.host.allow]] }));
    }
  }

  private unsupportedRequire(request: SipRequest): string[] {
    const required = getHeaders(request, 'Require');
    return required.map((r) => r.trim()).filter((r) => r.length > 0);
  }

  private newInvite(tx: InviteServerTransaction, request: SipRequest): void {
    this.stats.invites++;
    // §17.2.1: answer at once with 100 so the caller stops retransmitting.
    tx.trying();
    if (this.activeCalls >= this.maxCalls || this.invites.size >= this.maxPending) {
      this.stats.rejectedOverload++;
      tx.respond(createResponse(request, 503, 'Service Unavailable', { toTag: 'overload', headers: [['Retry-After', this.retryAfter]] }));
      return;
    }
    if (request.body.length > 0) {
      const ct = getHeader(request, 'Content-Type')?.split(';')[0]?.trim().toLowerCase();
      if (ct !== 'application/sdp') {
        // §21.4.13: a body we cannot use.
        tx.respond(createResponse(request, 415, 'Unsupported Media Type', { headers: [['Accept', 'application/sdp']] }));
        return;
      }
    }
    const invite = new InboundInvite(this.host, tx, request, tx.source, this.transport.isReliable(tx.source.transport));
    this.invites.set(tx, invite);
    const callId = getHeader(request, 'Call-ID') ?? '';
    const key = dialogKey(callId, invite.localTag, tagOf(getHeader(request, 'From')) ?? '');
    this.invitesByKey.set(key, invite);
    const guard = this.clock.setTimeout(() => invite.reject(480, 'Temporarily Unavailable'), this.answerTimeoutMs);
    void invite.settled.then(() => {
      this.clock.clearTimeout(guard);
      this.invites.delete(tx);
      this.invitesByKey.delete(key);
    });
    const screen = this.opts.screenInvite;
    if (!screen) {
      this.inviteHandler(invite);
      return;
    }
    screen(request, tx.source).then(
      (refusal) => {
        if (refusal) {
          this.invites.delete(tx);
          this.invitesByKey.delete(key);
          this.clock.clearTimeout(guard);
          tx.respond(refusal);
        } else this.inviteHandler(invite);
      },
      (err: unknown) => {
        this.log.error({ err: String(err) }, 'INVITE screening failed');
        invite.reject(500, 'Server Internal Error');
      },
    );
  }

  private cancel(tx: ServerTransaction, request: SipRequest): void {
    const inviteTx = this.host.transactions.findInviteServerTransaction(request);
    const invite = inviteTx ? this.invites.get(inviteTx) : undefined;
    if (!inviteTx) {
      // §9.2: no matching transaction.
      tx.respond(createResponse(request, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    // §9.2: answer the CANCEL itself with 200 whether or not it still has an effect.
    tx.respond(createResponse(request, 200, 'OK'));
    if (invite?.cancel()) this.stats.cancelled++;
  }

  private receiveAck(ack: SipRequest): void {
    const key = requestDialogKey(ack);
    if (key === undefined) return;
    const invite = this.invitesByKey.get(key);
    if (invite?.ack(ack)) {
      this.stats.answered++;
      return;
    }
    this.sessions.get(key)?.ack(ack);
  }

  private serverEnded(tx: ServerTransaction, t: Termination): void {
    if (tx.kind !== 'invite-server') return;
    const invite = this.invites.get(tx);
    if (invite && t.reason !== 'completed') invite.fail(`INVITE transaction ${t.reason}`);
  }
}

function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).params.get('tag') ?? undefined;
  } catch {
    return undefined;
  }
}
