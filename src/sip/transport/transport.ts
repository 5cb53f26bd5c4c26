/**
 * What every SIP transport (UDP, TCP, later WebSocket per RFC 7118) offers the transport
 * layer above it (RFC 3261 §18). A transport moves whole messages as bytes: datagram
 * transports deliver each datagram, stream transports frame the stream first (§18.3), so
 * the layer above never sees a partial message and never knows which kind it is talking to
 * beyond `reliable` (which picks the transaction timers, §17.1.1.2) and `protocol` (which
 * names the Via transport, §18.1.1).
 *
 * Stream transports (TCP, WS) key their connections by the remote endpoint, both the ones
 * they opened and the ones accepted: sending to the `source` a request came from reuses
 * the connection it arrived on, as §18.2.2 requires for responses.
 */
import type { Endpoint } from '../message.ts';
import type { Logger as AppLogger } from '../../log.ts';

export type TransportProtocol = Endpoint['transport'];

/** The part of the application logger (pino-compatible) the SIP layers use. */
export type Logger = Pick<AppLogger, 'debug' | 'info' | 'warn' | 'error'>;

/** A logger that discards everything. */
export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Transport {
  readonly protocol: TransportProtocol;
  /** True for stream transports: no retransmission timers, Timer D/I/J/K = 0 (§17). */
  readonly reliable: boolean;
  /** The address we listen on (for Via sent-by, §18.1.1). Port is the bound port. */
  readonly local: Endpoint;
  /**
   * Sends one complete message. Resolves once the bytes are handed to the operating system
   * (for a stream: after the connection is up); rejects with a TransportError on failure,
   * which the transaction layer turns into a transport-error termination (§17.1.4, §17.2.4).
   * Stream transports open a connection to `to` when none exists for it.
   */
  send(bytes: Buffer, to: Endpoint): Promise<void>;
  /** Stream transports: whether a connection to `to` is open right now (§18.2.2 reuse). */
  hasConnection?(to: Endpoint): boolean;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Where a transport reports what it receives. One sink per transport, set at creation. */
export interface TransportSink {
  /** One complete message's bytes (a datagram, or one framed stream message). */
  message(bytes: Buffer, source: Endpoint, transport: Transport): void;
  /**
   * Bytes that could not be framed (stream garbage, oversize message) or a datagram that
   * was too short to be SIP. For a stream the connection has already been closed.
   */
  dropped(reason: string, source: Endpoint, transport: Transport): void;
}

/** How the transport layer creates a transport; a WebSocket transport plugs in the same way. */
export type TransportFactory = (sink: TransportSink) => Promise<Transport>;

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly destination: Endpoint,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** "host:port" with the host as given; IPv6 hosts keep or gain their brackets. */
export function endpointKey(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A host as it goes in a Via sent-by or URI: IPv6 references in brackets (RFC 3261 §25.1). */
export function uriHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Strips the brackets of an IPv6 reference for socket APIs. */
export function socketHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
