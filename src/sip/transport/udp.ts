/**
 * SIP over UDP (RFC 3261 §18): one datagram is one message. Unreliable, so the
 * transactions above retransmit (§17.1.1.2, §17.1.2.2, §17.2.1).
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Endpoint } from '../message.ts';
import { TransportError, nullLogger, socketHost, type Logger, type Transport, type TransportSink } from './transport.ts';

export interface UdpTransportOptions {
  /** Address to bind, e.g. "127.0.0.1", "0.0.0.0", "::". */
  readonly host: string;
  /** Port to bind; 0 picks an ephemeral one (read it back from `local.port`). */
  readonly port: number;
  /** Kernel receive buffer; bursts of 1,000+ calls/s overflow the default. */
  readonly receiveBufferSize?: number;
  readonly sendBufferSize?: number;
  readonly logger?: Logger;
}

/** Smallest datagram worth parsing: "SIP/2.0 200 OK\r\n\r\n" is 18 bytes; shorter is keep-alive noise. */
const MIN_MESSAGE = 18;

export class UdpTransport implements Transport {
  readonly protocol = 'udp';
  readonly reliable = false;
  readonly local: Endpoint;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly sink: TransportSink,
  ) {
    const addr = socket.address();
    this.local = { transport: 'udp', host: addr.address, port: addr.port };
    socket.on('message', this.onMessage);
  }

  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const source: Endpoint = { transport: 'udp', host: rinfo.address, port: rinfo.port };
    if (msg.length < MIN_MESSAGE) {
      // RFC 5626 §4.4.2 / common NAT keep-alives ("\r\n\r\n", a zero byte): not SIP, not an error.
      if (!isKeepAlive(msg)) this.sink.dropped(`datagram of ${msg.length} bytes`, source, this);
      return;
    }
    this.sink.message(msg, source, this);
  };

  send(bytes: Buffer, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(bytes, to.port, socketHost(to.host), (err) => {
        if (err) reject(new TransportError(`UDP send to ${to.host}:${to.port} failed: ${err.message}`, to, { cause: err }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

function isKeepAlive(msg: Buffer): boolean {
  for (const b of msg) if (b !== 0x0d && b !== 0x0a && b !== 0x00 && b !== 0x20) return false;
  return true;
}

/** Binds a UDP socket and resolves with the transport once it listens. */
export function createUdpTransport(opts: UdpTransportOptions, sink: TransportSink): Promise<UdpTransport> {
  const host = socketHost(opts.host);
  const socket = dgram.createSocket({
    type: isIPv6(host) ? 'udp6' : 'udp4',
    ...(opts.receiveBufferSize !== undefined ? { recvBufferSize: opts.receiveBufferSize } : {}),
    ...(opts.sendBufferSize !== undefined ? { sendBufferSize: opts.sendBufferSize } : {}),
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(opts.port, host, () => {
      socket.off('error', onError);
      // After bind, failures are per send (reported through send's promise); anything
      // else surfacing here is logged rather than allowed to crash the process.
      const log = opts.logger ?? nullLogger;
      socket.on('error', (err) => log.warn({ err: err.message }, 'sip udp: socket error'));
      resolve(new UdpTransport(socket, sink));
    });
  });
}
