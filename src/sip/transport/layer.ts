/**
 * The SIP transport layer (RFC 3261 §18): owns the transports, turns inbound bytes into
 * messages for the transaction layer, and turns outbound messages into bytes on the right
 * transport to the right address.
 *
 * Inbound: parse (garbage is counted in `stats.dropped` and logged, an answerable
 * malformed request gets a 400 with the reason, §8.2 / RFC 4475), then for requests the
 * server-side Via processing of §18.2.1 and RFC 3581 (received, rport), for responses the
 * sent-by check of §18.1.2.
 *
 * Outbound: requests get their top Via completed with our sent-by and transport (§18.1.1)
 * and move to TCP when too big for UDP; responses are routed per §18.2.2 and RFC 3581 §4.
 */
import { realClock, type Clock } from '../../clock.ts';
import type { Endpoint, SipMessage, SipRequest, SipResponse, Via } from '../message.ts';
import { parseMessage, SipParseError } from '../parser.ts';
import { serializeMessage } from '../serialize.ts';
import { formatVia, parseVia } from '../headers.ts';
import { createResponse } from '../build.ts';
import type { OutboundRequest, OutboundResponse } from '../transaction/transaction.ts';
import { createTcpTransport, type TcpTransportOptions } from './tcp.ts';
import { createUdpTransport, type UdpTransportOptions } from './udp.ts';
import {
  TransportError,
  nullLogger,
  socketHost,
  uriHost,
  type Logger,
  type Transport,
  type TransportFactory,
  type TransportProtocol,
  type TransportSink,
} from './transport.ts';

export type { OutboundRequest, OutboundResponse } from '../transaction/transaction.ts';

/** An inbound request after §18.2.1 Via processing; `topVia` is its (processed) top Via. */
export type RequestHook = (request: SipRequest, source: Endpoint, topVia: Via) => void;
/** An inbound response that passed the §18.1.2 sent-by check. */
export type ResponseHook = (response: SipResponse, source: Endpoint, topVia: Via) => void;

export interface TransportLayerOptions {
  /**
   * Host for our Via sent-by (§18.1.1) and the sent-by check on responses (§18.1.2).
   * Defaults to each transport's bound address; required when binding a wildcard address.
   */
  readonly advertisedHost?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * §18.1.1: a request larger than this (bytes) that would go over UDP goes over TCP
   * instead, when a TCP transport exists. Default 1300; Infinity disables.
   */
  readonly udpMaxRequestSize?: number;
  /** Add an empty rport to Vias we create (RFC 3581 §3), so NATed peers answer to our real port. Default true. */
  readonly rport?: boolean;
  /** At most this many "dropped" log lines per second; the rest are counted. Default 10. */
  readonly dropLogsPerSecond?: number;
}

export interface ListenOptions extends TransportLayerOptions {
  /** Address to bind, e.g. "127.0.0.1". */
  readonly host: string;
  /** One port for every transport (5060 conventionally). 0 picks a free port that all transports share. */
  readonly port: number;
  /** Which transports to open. Default ['udp', 'tcp']. */
  readonly transports?: readonly ('udp' | 'tcp')[];
  readonly udp?: Partial<Omit<UdpTransportOptions, 'host' | 'port'>>;
  readonly tcp?: Partial<Omit<TcpTransportOptions, 'host' | 'port'>>;
}

export interface TransportStats {
  /** Messages (datagrams or framed stream messages) received. */
  received: number;
  /** Inbound bytes or messages thrown away: unparseable, unframeable, or not addressed to us. */
  dropped: number;
  /** Malformed requests answered with 400 (or 505). */
  rejected: number;
}

const DEFAULT_PORTS: Record<string, number> = { UDP: 5060, TCP: 5060, WS: 80, TLS: 5061, WSS: 443 };

export class TransportLayer implements TransportSink {
  readonly stats: TransportStats = { received: 0, dropped: 0, rejected: 0 };
  private readonly transports = new Map<TransportProtocol, Transport>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly udpMax: number;
  private readonly addRport: boolean;
  private readonly advertised: string | undefined;
  private requestHook: RequestHook = () => {};
  private responseHook: ResponseHook = () => {};
  private readonly dropLogLimit: number;
  private dropLogWindow = -1;
  private dropLogCount = 0;
  private dropLogSuppressed = 0;

  constructor(opts: TransportLayerOptions = {}) {
    this.clock = opts.clock ?? realClock();
    this.log = opts.logger ?? nullLogger;
    this.udpMax = opts.udpMaxRequestSize ?? 1300;
    this.addRport = opts.rport ?? true;
    this.advertised = opts.advertisedHost;
    this.dropLogLimit = opts.dropLogsPerSecond ?? 10;
  }

  /**
   * Opens UDP and TCP on host:port. With port 0 both transports share one ephemeral port
   * (UDP picks it, TCP binds the same number; retried if TCP finds it taken).
   */
  static async listen(opts: ListenOptions): Promise<TransportLayer> {
    const layer = new TransportLayer(opts);
    const kinds = opts.transports ?? ['udp', 'tcp'];
    const wildcard = opts.host === '0.0.0.0' || opts.host === '::' || opts.host === '[::]';
    if (wildcard && opts.advertisedHost === undefined) {
      throw new Error('TransportLayer.listen: advertisedHost is required when binding a wildcard address');
    }
    for (let attempt = 0; ; attempt++) {
      let port = opts.port;
      const opened: Transport[] = [];
      try {
        for (const kind of kinds) {
          const t =
            kind === 'udp'
              ? await layer.addTransport((sink) => createUdpTransport({ ...opts.udp, logger: opts.logger, host: opts.host, port }, sink))
              : await layer.addTransport((sink) =>
                  createTcpTransport({ clock: opts.clock, ...opts.tcp, logger: opts.logger, host: opts.host, port }, sink),
                );
          opened.push(t);
          port = t.local.port;
        }
        return layer;
      } catch (err) {
        for (const t of opened) {
          layer.transports.delete(t.protocol);
          await t.close();
        }
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!(inUse && opts.port === 0 && attempt < 10)) throw err;
      }
    }
  }

  /** Adds a transport (UDP, TCP, later WebSocket); one per protocol. */
  async addTransport(factory: TransportFactory): Promise<Transport> {
    const transport = await factory(this);
    if (this.transports.has(transport.protocol)) {
      await transport.close();
      throw new Error(`a ${transport.protocol} transport is already open`);
    }
    this.transports.set(transport.protocol, transport);
    return transport;
  }

  transport(protocol: TransportProtocol): Transport | undefined {
    return this.transports.get(protocol);
  }

  /** Our Via sent-by for a transport: advertised host and the transport's port. */
  sentBy(protocol: TransportProtocol): { host: string; port: number } {
    const t = this.requireTransport(protocol);
    return { host: uriHost(this.advertised ?? t.local.host), port: t.local.port };
  }

  isReliable(protocol: TransportProtocol): boolean {
    return this.transports.get(protocol)?.reliable ?? protocol !== 'udp';
  }

  /** Where inbound requests go (the transaction layer). One handler; a second call replaces it. */
  onRequest(hook: RequestHook): void {
    this.requestHook = hook;
  }

  /** Where inbound responses go (the transaction layer). */
  onResponse(hook: ResponseHook): void {
    this.responseHook = hook;
  }

  // ---- inbound ------------------------------------------------------------------------

  /** TransportSink: one complete message from a transport. */
  message(bytes: Buffer, source: Endpoint, _transport: Transport): void {
    this.stats.received++;
    let msg: SipMessage;
    try {
      msg = parseMessage(bytes);
    } catch (err) {
      this.rejectMalformed(err, bytes, source);
      return;
    }
    try {
      if (msg.kind === 'request') this.receiveRequest(msg, source);
      else this.receiveResponse(msg, source);
    } catch (err) {
      // A throwing hook must not take the socket's event loop down with it.
      this.log.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'sip: inbound handling failed');
    }
  }

  /** TransportSink: bytes a transport could not frame. */
  dropped(reason: string, source: Endpoint, _transport: Transport): void {
    this.drop(reason, source);
  }

  private receiveRequest(request: SipRequest, source: Endpoint): void {
    const index = indexOfVia(request);
    // The parser guarantees a parseable top Via on a request it returns.
    const via = parseVia(request.headers[index]!.value);
    const processed = receivedVia(via, source);
    if (processed === via) {
      this.requestHook(request, source, via);
      return;
    }
    const headers = request.headers.slice();
    headers[index] = { name: 'Via', value: formatVia(processed) };
    this.requestHook({ ...request, headers }, source, processed);
  }

  private receiveResponse(response: SipResponse, source: Endpoint): void {
    // The parser guarantees a parseable top Via on a response it returns.
    const via = parseVia(response.headers[indexOfVia(response)]!.value);
    // §18.1.2: a response whose top Via is not what we would have inserted is not ours.
    const protocol = via.transport.toLowerCase();
    const t = this.transports.get(protocol as TransportProtocol);
    const host = t ? (this.advertised ?? t.local.host) : undefined;
    const port = via.port ?? DEFAULT_PORTS[via.transport] ?? 5060;
    if (!t || host === undefined || !sameHost(via.host, host) || port !== t.local.port) {
      this.drop('response whose top Via sent-by is not ours (§18.1.2)', source);
      return;
    }
    this.responseHook(response, source, via);
  }

  /**
   * A message that did not parse. An answerable request (the parser recovered a request
   * line and a Via) gets the error status with the reason as its phrase; ACK never gets a
   * response (§17.1.1.3); anything else is dropped.
   */
  private rejectMalformed(err: unknown, bytes: Buffer, source: Endpoint): void {
    if (!(err instanceof SipParseError)) {
      // parseMessage promises to throw only SipParseError; anything else is our bug.
      this.log.error({ err: String(err), source: `${source.host}:${source.port}` }, 'sip: parser threw unexpectedly');
      this.drop('parser failure', source, bytes);
      return;
    }
    this.drop(err.reason, source, bytes);
    const partial = err.partial === undefined ? undefined : this.withReceived(err.partial, source);
    if (partial === undefined || partial.method === 'ACK') return;
    let response: SipResponse;
    try {
      response = createResponse(partial, err.status, phrase(err.reason));
    } catch {
      return; // not even enough for a response
    }
    this.stats.rejected++;
    let out: OutboundResponse;
    try {
      out = this.prepareResponse(response, source);
    } catch {
      // RFC 4475: the top Via itself may be what failed; answer the packet's source.
      out = { message: response, bytes: serializeMessage(response), dest: source };
    }
    this.transmit(out).catch((e: unknown) => this.log.debug({ err: String(e) }, 'sip: could not send 400'));
  }

  /** §18.2.1 on a request the parser could only partly read; unchanged if its Via is unreadable. */
  private withReceived(request: SipRequest, source: Endpoint): SipRequest {
    const index = indexOfVia(request);
    try {
      const via = parseVia(request.headers[index]!.value);
      const processed = receivedVia(via, source);
      if (processed === via) return request;
      const headers = request.headers.slice();
      headers[index] = { name: 'Via', value: formatVia(processed) };
      return { ...request, headers };
    } catch {
      return request;
    }
  }

  private drop(reason: string, source: Endpoint, bytes?: Buffer): void {
    this.stats.dropped++;
    // One line per drop, but bounded: a flood of garbage must not become a flood of logs.
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.dropLogWindow) {
      this.dropLogWindow = second;
      this.dropLogCount = 0;
    }
    if (this.dropLogCount >= this.dropLogLimit) {
      this.dropLogSuppressed++;
      return;
    }
    this.dropLogCount++;
    const fields: Record<string, unknown> = {
      reason,
      transport: source.transport,
      source: `${source.host}:${source.port}`,
      dropped: this.stats.dropped,
    };
    if (bytes !== undefined) {
      fields.bytes = bytes.length;
      fields.head = bytes.toString('latin1', 0, Math.min(bytes.length, 64)).replace(/[^\x20-\x7e]/g, '.');
    }
    if (this.dropLogSuppressed > 0) {
      fields.suppressed = this.dropLogSuppressed;
      this.dropLogSuppressed = 0;
    }
    this.log.warn(fields, 'sip: dropped inbound message');
  }

  // ---- outbound -----------------------------------------------------------------------

  /**
   * §18.1.1: serializes a request for `dest`, completing its top Via with our transport and
   * sent-by (the branch and other parameters stay; an empty rport is added, RFC 3581 §3).
   * The request must carry a top Via (the transaction layer puts the branch there).
   * A request over 1300 bytes bound for UDP moves to TCP when we have it.
   */
  prepareRequest(request: SipRequest, dest: Endpoint): OutboundRequest {
    let out = this.prepareFor(request, dest);
    if (dest.transport === 'udp' && out.bytes.length > this.udpMax && this.transports.has('tcp')) {
      // NOTE: §18.1.1 also says to fall back to UDP if the TCP connection is refused; not done.
      out = this.prepareFor(request, { ...dest, transport: 'tcp' });
    }
    return out;
  }

  private prepareFor(request: SipRequest, dest: Endpoint): OutboundRequest {
    const transport = this.requireTransport(dest.transport);
    const index = indexOfVia(request);
    if (index < 0) throw new Error('prepareRequest: the request has no Via (the transaction layer adds it)');
    const current = parseVia(request.headers[index]!.value);
    const host = uriHost(this.advertised ?? transport.local.host);
    const wanted = transport.protocol.toUpperCase();
    const needsRport = this.addRport && !current.params.has('rport');
    let message = request;
    if (current.transport !== wanted || current.host !== host || current.port !== transport.local.port || needsRport) {
      const params = needsRport ? new Map(current.params).set('rport', null) : current.params;
      const via: Via = { protocol: 'SIP/2.0', transport: wanted, host, port: transport.local.port, params };
      const headers = request.headers.slice();
      headers[index] = { name: 'Via', value: formatVia(via) };
      message = { ...request, headers };
    }
    return { message, bytes: serializeMessage(message), dest, reliable: transport.reliable };
  }

  /**
   * §18.2.2: where a response goes. Reliable: back over the connection the request came
   * on (`source`), else a new connection to `received` (or sent-by host) at the sent-by
   * port. Unreliable: maddr if present; else `received` at the rport (RFC 3581 §4) or
   * sent-by port; else the sent-by address.
   */
  prepareResponse(response: SipResponse, source?: Endpoint): OutboundResponse {
    const index = indexOfVia(response);
    if (index < 0) throw new Error('prepareResponse: the response has no Via');
    const via = parseVia(response.headers[index]!.value);
    const protocol = (source?.transport ?? via.transport.toLowerCase()) as TransportProtocol;
    const transport = this.requireTransport(protocol);
    const bytes = serializeMessage(response);
    const sentByPort = via.port ?? DEFAULT_PORTS[via.transport] ?? 5060;
    const received = via.params.get('received') ?? undefined;
    if (transport.reliable) {
      const viaDest: Endpoint = { transport: protocol, host: received ?? via.host, port: sentByPort };
      if (source && transport.hasConnection?.(source)) return { message: response, bytes, dest: source, fallback: viaDest };
      return { message: response, bytes, dest: viaDest };
    }
    const maddr = via.params.get('maddr');
    if (maddr) return { message: response, bytes, dest: { transport: protocol, host: maddr, port: sentByPort } };
    if (received) {
      const rport = via.params.get('rport');
      const port = rport ? Number(rport) : sentByPort;
      return { message: response, bytes, dest: { transport: protocol, host: received, port } };
    }
    return { message: response, bytes, dest: { transport: protocol, host: via.host, port: sentByPort } };
  }

  /** Sends prepared bytes; a response whose connection is gone is retried at its fallback (§18.2.2). */
  transmit(out: OutboundRequest | OutboundResponse): Promise<void> {
    const transport = this.transports.get(out.dest.transport);
    if (!transport) return Promise.reject(new TransportError(`no ${out.dest.transport} transport`, out.dest));
    const sent = transport.send(out.bytes, out.dest);
    const fallback = 'fallback' in out ? out.fallback : undefined;
    if (fallback === undefined) return sent;
    return sent.catch(() => this.transports.get(fallback.transport)!.send(out.bytes, fallback));
  }

  /** prepareRequest + transmit, for requests sent outside a transaction (ACK for 2xx, §13.2.2.4). */
  async sendRequest(request: SipRequest, dest: Endpoint): Promise<OutboundRequest> {
    const out = this.prepareRequest(request, dest);
    await this.transmit(out);
    return out;
  }

  /** prepareResponse + transmit, for responses sent outside a transaction (2xx retransmissions, §13.3.1.4). */
  sendResponse(response: SipResponse, source?: Endpoint): Promise<void> {
    let out: OutboundResponse;
    try {
      out = this.prepareResponse(response, source);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.transmit(out);
  }

  async close(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(all.map((t) => t.close()));
  }

  private requireTransport(protocol: TransportProtocol): Transport {
    const t = this.transports.get(protocol);
    if (!t) throw new TransportError(`no ${protocol} transport`, { transport: protocol, host: '', port: 0 });
    return t;
  }
}

/**
 * §18.2.1: add `received` when the sent-by host is a name or differs from the packet's
 * source address; RFC 3581 §4: fill an empty `rport` with the source port, and then add
 * `received` even if it equals sent-by. Returns the same object when nothing changes.
 */
export function receivedVia(via: Via, source: Endpoint): Via {
  const rport = via.params.has('rport') && via.params.get('rport') === null;
  const differs = !sameHost(via.host, source.host);
  if (!rport && !differs) return via;
  const params = new Map(via.params);
  params.set('received', socketHost(source.host));
  if (rport) params.set('rport', String(source.port));
  return { ...via, params };
}

/** Index of the top Via header, -1 if none (a loop: no closure on the receive path). */
function indexOfVia(msg: SipMessage): number {
  const { headers } = msg;
  for (let i = 0; i < headers.length; i++) if (headers[i]!.name === 'Via') return i;
  return -1;
}

function sameHost(a: string, b: string): boolean {
  return socketHost(a).toLowerCase() === socketHost(b).toLowerCase();
}

/** A reason phrase from a parse error: printable, one line, bounded. */
function phrase(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100) || 'Bad Request';
}
