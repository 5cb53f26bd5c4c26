/**
 * A typed request/response channel between the main thread and a media worker, after
 * mediasoup's Channel: requests carry ids and get exactly one response; events are a
 * declared map; every message is checked against its zod schema where it enters a
 * thread; and requests pending on a worker that dies are rejected with
 * MediaWorkerDiedError instead of hanging.
 *
 * The protocol is data (a ProtocolSpec of zod schemas), so the same declaration types
 * both ends and validates at both edges. Messages travel as structured clones over the
 * worker's MessagePort; big payloads go in the transfer list or as SharedArrayBuffers.
 */
import { Worker, type MessagePort, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import type { z } from 'zod';
import { realClock, type Clock, type TimerHandle } from '../clock.ts';

export interface RequestSpec {
  readonly request: z.ZodType;
  readonly response: z.ZodType;
}

export interface ProtocolSpec {
  readonly requests: { readonly [method: string]: RequestSpec };
  readonly events: { readonly [event: string]: z.ZodType };
}

export type RequestName<P extends ProtocolSpec> = keyof P['requests'] & string;
export type EventName<P extends ProtocolSpec> = keyof P['events'] & string;
/** What a caller passes (schema input) and what a handler receives (schema output). */
export type RequestIn<P extends ProtocolSpec, M extends RequestName<P>> = z.input<P['requests'][M]['request']>;
export type RequestOut<P extends ProtocolSpec, M extends RequestName<P>> = z.output<P['requests'][M]['request']>;
export type ResponseIn<P extends ProtocolSpec, M extends RequestName<P>> = z.input<P['requests'][M]['response']>;
export type ResponseOut<P extends ProtocolSpec, M extends RequestName<P>> = z.output<P['requests'][M]['response']>;
export type EventIn<P extends ProtocolSpec, E extends EventName<P>> = z.input<P['events'][E]>;
export type EventOut<P extends ProtocolSpec, E extends EventName<P>> = z.output<P['events'][E]>;

/** Declares a protocol with its literal keys preserved. */
export function defineProtocol<const P extends ProtocolSpec>(spec: P): P {
  return spec;
}

/** The worker behind the channel exited or crashed; the request can never be answered. */
export class MediaWorkerDiedError extends Error {
  override readonly name = 'MediaWorkerDiedError';
  constructor(
    message: string,
    readonly exitCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The channel was closed on purpose (engine shutdown). */
export class MediaChannelClosedError extends Error {
  override readonly name = 'MediaChannelClosedError';
}

/** A message that does not match the declared protocol. */
export class MediaProtocolError extends Error {
  override readonly name = 'MediaProtocolError';
}

/** No response within the channel's timeout. */
export class MediaRequestTimeoutError extends Error {
  override readonly name = 'MediaRequestTimeoutError';
}

/** The other side handled the request and refused it; `code` names why (e.g. EADDRINUSE, UNKNOWN_LEG). */
export class MediaRequestError extends Error {
  override readonly name = 'MediaRequestError';
  constructor(
    message: string,
    readonly code: string,
    readonly remoteName: string,
  ) {
    super(message);
  }
}

/** An error a handler throws on purpose, with a code the requester can branch on. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A Worker (main side), the worker's parentPort, or either end of a MessageChannel. */
export type ChannelEndpoint = Worker | MessagePort;

/** The listener surface both endpoint kinds share (MessagePort is typed as an EventTarget). */
interface Listenable {
  on(event: string, listener: (arg: never) => void): unknown;
  off(event: string, listener: (arg: never) => void): unknown;
}

function listenable(endpoint: ChannelEndpoint): Listenable {
  // Both kinds have on/off(string, listener) at runtime; the overload sets do not unify in tsc.
  return endpoint as unknown as Listenable;
}

interface WireRequest {
  t: 'req';
  id: number;
  method: string;
  data: unknown;
}
interface WireResponse {
  t: 'res';
  id: number;
  ok: boolean;
  data?: unknown;
  error?: { name: string; message: string; code: string };
}
interface WireEvent {
  t: 'ev';
  event: string;
  data: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: TimerHandle | undefined;
}

export interface RequestOptions {
  /** ArrayBuffers or ports to move rather than copy. */
  transfer?: readonly TransferListItem[];
  /** Overrides the channel's timeout for this request (0: wait as long as the worker lives). */
  timeoutMs?: number;
}

export interface ChannelOptions {
  /** For error messages, e.g. "media worker 0". */
  name?: string;
  /** Reject a request after this long without a response (default 15 s; 0 disables). */
  timeoutMs?: number;
  clock?: Clock;
  /** Called with messages that break the protocol (they are dropped). */
  onProtocolError?: (error: MediaProtocolError) => void;
}

/** The requesting side (main thread). */
export class Channel<P extends ProtocolSpec> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(data: never) => void>>();
  private dead: Error | undefined;
  private readonly name: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly onProtocolError: ((error: MediaProtocolError) => void) | undefined;
  private readonly events: Listenable;

  constructor(
    private readonly endpoint: ChannelEndpoint,
    private readonly spec: P,
    options: ChannelOptions = {},
  ) {
    this.events = listenable(endpoint);
    this.name = options.name ?? 'media worker';
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.clock = options.clock ?? realClock();
    this.onProtocolError = options.onProtocolError;
    const ee = this.events;
    ee.on('message', this.onMessage);
    // A Worker emits 'error' (uncaught exception) then 'exit'; a MessagePort emits 'close'.
    ee.on('error', this.onError);
    ee.on('exit', this.onExit);
    ee.on('close', this.onClose);
  }

  /** Requests still waiting for a response. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The error that ended the channel, if it has ended. */
  get closedBy(): Error | undefined {
    return this.dead;
  }

  request<M extends RequestName<P>>(
    method: M,
    data: RequestIn<P, M>,
    options: RequestOptions = {},
  ): Promise<ResponseOut<P, M>> {
    if (this.dead) return Promise.reject(this.dead);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const id = this.nextId;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return new Promise<ResponseOut<P, M>>((resolve, reject) => {
      const entry: Pending = { method, resolve: resolve as (v: unknown) => void, reject, timer: undefined };
      if (timeoutMs > 0) {
        entry.timer = this.clock.setTimeout(() => {
          if (this.pending.delete(id)) {
            reject(new MediaRequestTimeoutError(`${this.name}: no response to ${method} within ${timeoutMs} ms`));
          }
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      const msg: WireRequest = { t: 'req', id, method, data };
      try {
        this.endpoint.postMessage(msg, options.transfer);
      } catch (err) {
        this.settle(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName<P>>(event: E, listener: (data: EventOut<P, E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as (data: never) => void;
    set.add(l);
    return () => set.delete(l);
  }

  /** Ends the channel: every pending request is rejected with `error`; later requests too. */
  fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    this.events.off('message', this.onMessage);
    for (const [id, p] of this.pending) {
      this.settle(id);
      p.reject(error);
    }
  }

  close(): void {
    this.fail(new MediaChannelClosedError(`${this.name}: channel closed`));
    this.events.off('error', this.onError);
    this.events.off('exit', this.onExit);
    this.events.off('close', this.onClose);
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (p.timer) this.clock.clearTimeout(p.timer);
    return p;
  }

  private readonly onError = (err: Error): void => {
    this.fail(new MediaWorkerDiedError(`${this.name} crashed: ${err.message}`, undefined, { cause: err }));
  };

  private readonly onExit = (code: number): void => {
    this.fail(new MediaWorkerDiedError(`${this.name} exited with code ${code}`, code));
  };

  private readonly onClose = (): void => {
    this.fail(new MediaWorkerDiedError(`${this.name}: port closed`));
  };

  private protocolError(message: string): void {
    this.onProtocolError?.(new MediaProtocolError(`${this.name}: ${message}`));
  }

  private readonly onMessage = (msg: unknown): void => {
    if (!isRecord(msg)) return this.protocolError('message is not an object');
    if (msg.t === 'res') {
      const res = msg as unknown as WireResponse;
      const p = this.settle(res.id);
      if (!p) return this.protocolError(`response to unknown request ${String(res.id)}`);
      if (!res.ok) {
        const e = res.error ?? { name: 'Error', message: 'request failed', code: 'UNKNOWN' };
        p.reject(new MediaRequestError(`${p.method}: ${e.message}`, e.code, e.name));
        return;
      }
      const parsed = this.spec.requests[p.method]!.response.safeParse(res.data);
      if (parsed.success) p.resolve(parsed.data);
      else p.reject(new MediaProtocolError(`${this.name}: bad ${p.method} response: ${summarize(parsed.error)}`));
      return;
    }
    if (msg.t === 'ev') {
      const ev = msg as unknown as WireEvent;
      const schema = typeof ev.event === 'string' ? this.spec.events[ev.event] : undefined;
      if (!schema) return this.protocolError(`unknown event ${String(ev.event)}`);
      const parsed = schema.safeParse(ev.data);
      if (!parsed.success) return this.protocolError(`bad ${ev.event} event: ${summarize(parsed.error)}`);
      const set = this.listeners.get(ev.event);
      if (set) for (const l of set) l(parsed.data as never);
      return;
    }
    this.protocolError(`unknown message kind ${String(msg.t)}`);
  };
}

export type Handlers<P extends ProtocolSpec> = {
  [M in RequestName<P>]: (data: RequestOut<P, M>) => ResponseIn<P, M> | Promise<ResponseIn<P, M>>;
};

/** The answering side (worker thread). Requests are validated before their handler runs. */
export class ChannelServer<P extends ProtocolSpec> {
  private readonly events: Listenable;

  constructor(
    private readonly endpoint: ChannelEndpoint,
    private readonly spec: P,
    private readonly handlers: Handlers<P>,
  ) {
    this.events = listenable(endpoint);
    this.events.on('message', this.onMessage);
  }

  emit<E extends EventName<P>>(event: E, data: EventIn<P, E>, transfer?: readonly TransferListItem[]): void {
    const msg: WireEvent = { t: 'ev', event, data };
    this.endpoint.postMessage(msg, transfer);
  }

  close(): void {
    this.events.off('message', this.onMessage);
  }

  private reply(id: number, result: { ok: true; data: unknown } | { ok: false; error: unknown }): void {
    let msg: WireResponse;
    if (result.ok) {
      msg = { t: 'res', id, ok: true, data: result.data };
    } else {
      const e = result.error;
      const name = e instanceof Error ? e.name : 'Error';
      const message = e instanceof Error ? e.message : String(e);
      const rawCode = isRecord(e) ? e.code : undefined;
      msg = { t: 'res', id, ok: false, error: { name, message, code: typeof rawCode === 'string' ? rawCode : 'INTERNAL' } };
    }
    this.endpoint.postMessage(msg);
  }

  private readonly onMessage = (msg: unknown): void => {
    if (!isRecord(msg) || msg.t !== 'req' || typeof msg.id !== 'number' || typeof msg.method !== 'string') return;
    const { id, method } = msg;
    const spec = Object.hasOwn(this.spec.requests, method) ? this.spec.requests[method] : undefined;
    if (!spec) {
      this.reply(id, { ok: false, error: new MediaError('UNKNOWN_METHOD', `unknown method ${method}`) });
      return;
    }
    const parsed = spec.request.safeParse(msg.data);
    if (!parsed.success) {
      this.reply(id, { ok: false, error: new MediaError('BAD_REQUEST', `bad ${method} request: ${summarize(parsed.error)}`) });
      return;
    }
    const handler = this.handlers[method as RequestName<P>] as (data: unknown) => unknown;
    let out: unknown;
    try {
      out = handler(parsed.data);
    } catch (err) {
      this.reply(id, { ok: false, error: err });
      return;
    }
    if (out instanceof Promise) {
      out.then(
        (data: unknown) => this.reply(id, { ok: true, data }),
        (err: unknown) => this.reply(id, { ok: false, error: err }),
      );
    } else {
      this.reply(id, { ok: true, data: out });
    }
  };
}

/**
 * Starts a worker thread from a module URL. Node 20 does not pass tsx's loader hooks on to
 * worker threads, so a .ts entry is loaded through a small bootstrap that registers tsx
 * inside the worker first (costs ~0.2 s per worker start, once).
 */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const api = import.meta.resolve('tsx/esm/api');
  const boot =
    `import(${JSON.stringify(api)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
