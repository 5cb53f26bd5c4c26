/**
 * SIP over TCP (RFC 3261 §18): a listening server plus outbound connections, all kept in
 * one map keyed by the remote endpoint. A response to a request goes back over the
 * connection the request came in on (§18.2.2) simply because the request's source is
 * that connection's key; a request to a peer we already have a connection with reuses it
 * (RFC 5923 in spirit, without the alias negotiation).
 *
 * Each connection runs its own StreamFramer (§18.3). A stream that cannot be framed is
 * closed: there is no way to find the next message boundary in it. Idle connections are
 * closed after `idleTimeoutMs` without traffic in either direction.
 */
import net from 'node:net';
import { realClock, type Clock, type TimerHandle } from '../../clock.ts';
import type { Endpoint } from '../message.ts';
import { StreamFramer, DEFAULT_MAX_MESSAGE_SIZE } from './stream-framer.ts';
import {
  TransportError,
  endpointKey,
  nullLogger,
  socketHost,
  type Logger,
  type Transport,
  type TransportSink,
} from './transport.ts';

export interface TcpTransportOptions {
  readonly host: string;
  /** 0 picks an ephemeral port. */
  readonly port: number;
  /** Close a connection after this long without traffic either way. Default 10 minutes. */
  readonly idleTimeoutMs?: number;
  /** Give up an outbound connect after this long. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Largest message a peer may send (§18.3 framing guard). Default 65,535 bytes. */
  readonly maxMessageSize?: number;
  /** Close a connection whose unsent output exceeds this (the peer stopped reading). Default 1 MiB. */
  readonly maxPendingOutput?: number;
  /** Refuse further inbound connections beyond this many. */
  readonly maxConnections?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** RFC 5626 §3.5.1: the answer to a "\r\n\r\n" ping. */
const PONG = Buffer.from('\r\n');

class Connection {
  readonly framer: StreamFramer;
  lastActive: number;
  idleTimer: TimerHandle | undefined;
  connectTimer: TimerHandle | undefined;
  /** The error that closed the socket, reported to writers still waiting on it. */
  failure: Error | undefined;

  constructor(
    readonly key: string,
    readonly socket: net.Socket,
    readonly remote: Endpoint,
    maxMessageSize: number,
    now: number,
  ) {
    this.framer = new StreamFramer({ maxMessageSize });
    this.lastActive = now;
  }
}

export class TcpTransport implements Transport {
  readonly protocol = 'tcp';
  readonly reliable = true;
  readonly local: Endpoint;
  private readonly connections = new Map<string, Connection>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly idleMs: number;
  private readonly connectMs: number;
  private readonly maxMessage: number;
  private readonly maxPending: number;
  private state: 'listening' | 'closed' = 'listening';

  constructor(
    private readonly server: net.Server,
    private readonly sink: TransportSink,
    opts: TcpTransportOptions,
  ) {
    const addr = server.address() as net.AddressInfo;
    this.local = { transport: 'tcp', host: addr.address, port: addr.port };
    this.clock = opts.clock ?? realClock();
    this.log = opts.logger ?? nullLogger;
    this.idleMs = opts.idleTimeoutMs ?? 600_000;
    this.connectMs = opts.connectTimeoutMs ?? 10_000;
    this.maxMessage = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxPending = opts.maxPendingOutput ?? 1 << 20;
    if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Number of open (or opening) connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  hasConnection(to: Endpoint): boolean {
    const conn = this.connections.get(endpointKey(to.host, to.port));
    return conn !== undefined && !conn.socket.destroyed;
  }

  send(bytes: Buffer, to: Endpoint): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new TransportError('TCP transport is closed', to));
    const key = endpointKey(to.host, to.port);
    let conn = this.connections.get(key);
    if (conn === undefined || conn.socket.destroyed) conn = this.connect(key, to);
    return this.write(conn, bytes);
  }

  close(): Promise<void> {
    this.state = 'closed';
    for (const conn of this.connections.values()) conn.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private write(conn: Connection, bytes: Buffer): Promise<void> {
    if (conn.socket.writableLength > this.maxPending) {
      this.log.warn({ remote: conn.key, pending: conn.socket.writableLength }, 'sip tcp: peer not reading, closing');
      conn.socket.destroy();
    }
    conn.lastActive = this.clock.now();
    return new Promise((resolve, reject) => {
      if (conn.socket.destroyed) {
        reject(new TransportError(`TCP connection to ${conn.key} is closed`, conn.remote, { cause: conn.failure }));
        return;
      }
      conn.socket.write(bytes, (err) => {
        if (!err) resolve();
        else
          reject(
            new TransportError(`TCP send to ${conn.key} failed: ${(conn.failure ?? err).message}`, conn.remote, {
              cause: conn.failure ?? err,
            }),
          );
      });
    });
  }

  private connect(key: string, to: Endpoint): Connection {
    // Node buffers writes until the connection is up, so the caller can write at once.
    const socket = net.connect({ host: socketHost(to.host), port: to.port });
    const conn = new Connection(key, socket, { transport: 'tcp', host: to.host, port: to.port }, this.maxMessage, this.clock.now());
    conn.connectTimer = this.clock.setTimeout(() => {
      conn.connectTimer = undefined;
      conn.failure = new Error(`connect timed out after ${this.connectMs} ms`);
      socket.destroy();
    }, this.connectMs);
    socket.once('connect', () => {
      this.clock.clearTimeout(conn.connectTimer);
      conn.connectTimer = undefined;
    });
    this.adopt(conn);
    return conn;
  }

  private accept(socket: net.Socket): void {
    const host = socket.remoteAddress;
    const port = socket.remotePort;
    if (host === undefined || port === undefined) {
      socket.destroy(); // already gone
      return;
    }
    const key = endpointKey(host, port);
    this.connections.get(key)?.socket.destroy();
    this.adopt(new Connection(key, socket, { transport: 'tcp', host, port }, this.maxMessage, this.clock.now()));
  }

  private adopt(conn: Connection): void {
    const { socket } = conn;
    this.connections.set(conn.key, conn);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    socket.on('error', (err) => {
      conn.failure ??= err;
      this.log.debug({ remote: conn.key, err: err.message }, 'sip tcp: connection error');
    });
    socket.on('close', () => {
      this.clock.clearTimeout(conn.idleTimer);
      this.clock.clearTimeout(conn.connectTimer);
      if (this.connections.get(conn.key) === conn) this.connections.delete(conn.key);
    });
    this.armIdle(conn, this.idleMs);
  }

  private receive(conn: Connection, chunk: Buffer): void {
    conn.lastActive = this.clock.now();
    const { frames, error } = conn.framer.push(chunk);
    for (const frame of frames) {
      if (frame.kind === 'message') this.sink.message(frame.bytes, conn.remote, this);
      else if (!conn.socket.destroyed) conn.socket.write(PONG);
    }
    if (error !== undefined) {
      this.sink.dropped(error, conn.remote, this);
      conn.socket.destroy();
    }
  }

  /**
   * One timer per connection, not reset on every message: when it fires it checks how
   * long the connection has really been idle and re-arms for the remainder.
   */
  private armIdle(conn: Connection, ms: number): void {
    conn.idleTimer = this.clock.setTimeout(() => {
      const idle = this.clock.now() - conn.lastActive;
      if (idle >= this.idleMs) {
        this.log.debug({ remote: conn.key, idleMs: idle }, 'sip tcp: closing idle connection');
        conn.socket.destroy();
      } else this.armIdle(conn, this.idleMs - idle);
    }, ms);
  }
}

/** Listens on host:port and resolves with the transport. */
export function createTcpTransport(opts: TcpTransportOptions, sink: TransportSink): Promise<TcpTransport> {
  const server = net.createServer({ noDelay: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: socketHost(opts.host), port: opts.port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', (err) => (opts.logger ?? nullLogger).error({ err: err.message }, 'sip tcp: server error'));
      resolve(new TcpTransport(server, sink, opts));
    });
  });
}
