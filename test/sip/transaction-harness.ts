/**
 * Shared setup for the transaction tests: a real TransportLayer and TransactionLayer on a
 * ManualClock, over an in-memory transport that records every datagram/segment sent (with
 * the clock time) and lets a test inject the peer's bytes. Everything above the socket is
 * the production code path: parser, Via processing, serializer, matching, timers.
 */
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import type { Endpoint, SipMessage, SipRequest, SipResponse } from '../../src/sip/message.ts';
import { parseMessage } from '../../src/sip/parser.ts';
import { TransportLayer } from '../../src/sip/transport/layer.ts';
import { TransportError, type Transport, type TransportSink } from '../../src/sip/transport/transport.ts';
import { TransactionLayer, type ServerTransaction, type TransactionUser } from '../../src/sip/transaction/layer.ts';
import type { Termination, TimerValues } from '../../src/sip/transaction/transaction.ts';

export const US = '192.0.2.10';
export const PEER: Endpoint = { transport: 'udp', host: '192.0.2.20', port: 5060 };

export interface Sent {
  readonly at: number;
  readonly to: Endpoint;
  readonly bytes: Buffer;
  readonly msg: SipMessage;
}

export class MemoryTransport implements Transport {
  readonly reliable: boolean;
  readonly local: Endpoint;
  readonly sent: Sent[] = [];
  /** While set, every send fails with this. */
  failure: string | undefined;

  constructor(
    readonly protocol: 'udp' | 'tcp',
    private readonly sink: TransportSink,
    private readonly clock: ManualClock,
  ) {
    this.reliable = protocol !== 'udp';
    this.local = { transport: protocol, host: US, port: 5060 };
  }

  send(bytes: Buffer, to: Endpoint): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(new TransportError(this.failure, to));
    this.sent.push({ at: this.clock.now(), to, bytes, msg: parseMessage(bytes) });
    return Promise.resolve();
  }

  hasConnection(): boolean {
    return this.reliable;
  }

  inject(text: string, from: Endpoint = { ...PEER, transport: this.protocol }): void {
    this.sink.message(Buffer.from(text), from, this);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Recorded {
  requests: { tx: ServerTransaction; request: SipRequest }[];
  acks: SipRequest[];
  strays: SipResponse[];
  serverEnded: { tx: ServerTransaction; termination: Termination; at: number }[];
}

export async function harness(opts: { protocol?: 'udp' | 'tcp'; timers?: Partial<TimerValues> } = {}) {
  const clock = new ManualClock();
  const protocol = opts.protocol ?? 'udp';
  const transport = new TransportLayer({ clock, rport: false });
  let mem: MemoryTransport | undefined;
  await transport.addTransport(async (sink) => (mem = new MemoryTransport(protocol, sink, clock)));
  const rec: Recorded = { requests: [], acks: [], strays: [], serverEnded: [] };
  let onRequest: (tx: ServerTransaction, request: SipRequest) => void = () => {};
  const user: TransactionUser = {
    request: (tx, request) => {
      rec.requests.push({ tx, request });
      onRequest(tx, request);
    },
    ack: (ack) => rec.acks.push(ack),
    strayResponse: (response) => rec.strays.push(response),
    serverTransactionTerminated: (tx, termination) => rec.serverEnded.push({ tx, termination, at: clock.now() }),
  };
  const layer = new TransactionLayer({ transport, user, clock, ...(opts.timers ? { timers: opts.timers } : {}) });
  return {
    clock,
    transport,
    layer,
    mem: mem!,
    rec,
    /** What the TU does with each new request (default: nothing). */
    whenRequest(fn: (tx: ServerTransaction, request: SipRequest) => void) {
      onRequest = fn;
    },
  };
}

/** Lets rejected send promises reach the transactions. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const crlf = (lines: string[]): string => lines.join('\r\n');

/** Send times of the messages matching `pred`. */
export function times(sent: readonly Sent[], pred: (m: SipMessage) => boolean): number[] {
  return sent.filter((s) => pred(s.msg)).map((s) => s.at);
}

export function isRequest(method: string) {
  return (m: SipMessage): boolean => m.kind === 'request' && m.method === method;
}

export function isStatus(status: number) {
  return (m: SipMessage): boolean => m.kind === 'response' && m.status === status;
}

export function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1, `expected exactly one, got ${items.length}`);
  return items[0]!;
}
